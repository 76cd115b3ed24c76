"""What the end-to-end tests read through the public interfaces: partner topics, the case
timeline, and the ledger's double entry."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

import httpx

from tests.e2e.conftest import System
from tests.support import eventually, read_topic

CONSUMED_TOPICS = (
    "intake.returnees.v1",
    "referral.responses.v1",
    "referral.status.v1",
    "grants.installments.v1",
)


async def events_on(system: System, topic: str, case_id: str, *, at_least: int = 0) -> list[dict[str, Any]]:
    """The envelopes (as JSON) keyed by `case_id` on `topic` (a name without the prefix)."""
    records = await read_topic(system.kafka_bootstrap, system.topic(topic), at_least=at_least)
    return [json.loads(r.value) | {"_raw": r.value} for r in records if r.key == case_id.encode()]


async def partner_events(system: System, partner_ids: list[str], case_id: str) -> dict[str, list[Any]]:
    """partner id → the envelopes about `case_id` on `referrals.<partner>.v1`."""
    found = await asyncio.gather(*(events_on(system, f"referrals.{p}.v1", case_id) for p in partner_ids))
    return {p: events for p, events in zip(partner_ids, found, strict=True) if events}


async def timeline_shows(
    client: httpx.AsyncClient, system: System, user: str, case_id: str, text: str, timeout: float = 20
) -> list[dict[str, Any]]:
    """Poll `GET /v1/cases/{id}/timeline` until an entry's summary contains `text`."""

    async def shown() -> list[dict[str, Any]]:
        response = await client.get(
            f"{system.url('intake')}/v1/cases/{case_id}/timeline", headers=system.auth(user)
        )
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries if any(text in e["summary"] for e in entries) else []

    return await eventually(shown, timeout=timeout, interval=0.2, what=f"{text!r} on the case timeline")


async def ledger_totals(client: httpx.AsyncClient, system: System, user: str) -> dict[str, dict[str, int]]:
    """currency → {"debit": Σ, "credit": Σ} over every ledger entry, page by page."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"debit": 0, "credit": 0})
    after = 0
    while True:
        response = await client.get(
            f"{system.url('grants')}/v1/ledger/entries",
            params={"after_seq": after, "limit": 5000},
            headers=system.auth(user),
        )
        response.raise_for_status()
        page = response.json()
        for entry in page:
            totals[entry["currency"]][entry["direction"]] += entry["amount"]
        if len(page) < 5000:
            return dict(totals)
        after = page[-1]["seq"]


# every dead-letter topic: each consumed topic's, and the one all partners' own answer topics share
DEAD_LETTER_TOPICS = (*(f"{t}.dlq" for t in CONSUMED_TOPICS), "referral.responses.dlq")


async def dead_letters(system: System) -> dict[str, int]:
    """dead-letter topic → how many messages consumers dead-lettered there (only topics that have some)."""
    counts = {
        dlq: len(await read_topic(system.kafka_bootstrap, system.topic(dlq))) for dlq in DEAD_LETTER_TOPICS
    }
    return {t: n for t, n in counts.items() if n}
