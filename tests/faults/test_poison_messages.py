"""Poison mixed into every consumed topic while the whole system works: cases registered and plans
approved through intake's API, referrals answered by partners, grants opened. Exactly the poison
ends in the dead-letter topics (compared as bytes, one copy per consumer that refused it), and
every other event took effect."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from shared.identity.model import Role
from tests.unit.intake import samples

from . import kafka_view
from .accounting import account, wait_quiet
from .books import RESPONSES, Expected
from .caseload import MUNICIPALITIES, PROGRAMME, Producer, accepted, directory_in
from .conftest import scaled
from .finance import Officer
from .poison import Poison, batch, merge
from .processes import Corner, ServiceProcess, add_users

pytestmark = pytest.mark.integration

CASES = scaled(12)
RUNNING = ["intake", "referral", "grants"]
USERS = {"cw": Role.CASEWORKER, "sup": Role.SUPERVISOR, "fin": Role.FINANCE}
PLAN = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 60_000, "currency": "EUR"}}]}


def registration(number: int) -> dict[str, Any]:
    """A family or a single returnee, with a name nobody else has (intake refuses likely duplicates)."""
    today = date.today()
    # a surname of its own, not a shared one with a random tail: duplicate matching forgives typos
    unique = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(12)).title()
    make = samples.family if number % 2 else samples.single
    data = make(f"Ana {unique}", today)
    data["members"][0]["identity_document"]["number"] = f"F{secrets.randbelow(10**8):08d}"
    for child in data["members"][1:]:
        child["name"] = f"{child['name'].split()[0]} {unique}"
    data["municipality"] = MUNICIPALITIES[number % len(MUNICIPALITIES)]
    data["arrival_date"] = (today - timedelta(days=1)).isoformat()
    data["needs"] = ["housing", "education", "counselling"][: 1 + number % 3]
    data["consent"] = {need: number % 5 != 0 or need == "housing" for need in data["needs"]}
    return data


async def register_with_plan(intake: httpx.AsyncClient, tokens: dict[str, str], number: int) -> UUID:
    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    created = await intake.post("/v1/cases", json=registration(number), headers=auth("cw"))
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    proposed = await intake.post(f"/v1/cases/{case_id}/plan", json=PLAN, headers=auth("cw"))
    assert proposed.status_code == 200, proposed.text
    plan_id = proposed.json()["plan"]["id"]
    approved = await intake.post(
        f"/v1/cases/{case_id}/plan/approve", json={"plan_id": plan_id}, headers=auth("sup")
    )
    assert approved.status_code == 200, approved.text
    return UUID(case_id)


async def send_poison(producer: Producer, corner: Corner, poison: Poison) -> None:
    for topic, values in poison.by_topic.items():
        await asyncio.gather(*await producer.send_raw(corner.prefix + topic, values))


async def test_poison_in_every_consumed_topic_is_dead_lettered_and_nothing_else_is(
    corner: Corner,
    services: Callable[[str], ServiceProcess],
    fault_config: Path,
    say: Callable[[str], None],
) -> None:
    began = time.monotonic()
    tokens = await add_users(corner, USERS)
    processes = {name: services(name) for name in RUNNING}
    for process in processes.values():
        process.start()
    await asyncio.gather(*(p.ready() for p in processes.values()))
    funder = Officer("fin", tokens["fin"], processes["grants"].url)
    await funder.fund(PROGRAMME, 1_000_000_000)
    await funder.close()

    batches = [batch(f"poison-{n}") for n in range(3)]
    async with (
        Producer(corner.bootstrap) as producer,
        httpx.AsyncClient(base_url=processes["intake"].url, timeout=30) as intake,
    ):
        await send_poison(producer, corner, batches[0])  # before anything valid
        for number in range(CASES):
            await register_with_plan(intake, tokens, number)
            if number == CASES // 2:
                await send_poison(producer, corner, batches[1])  # in the middle of the flow
        await wait_quiet(corner, RUNNING)
        answers = [accepted(e) for e in await kafka_view.issued_referrals(corner.bootstrap, corner.prefix)]
        half = len(answers) // 2
        await asyncio.gather(*await producer.send(corner.prefix + RESPONSES, answers[:half]))
        await send_poison(producer, corner, batches[2])  # between partners' answers
        await asyncio.gather(*await producer.send(corner.prefix + RESPONSES, answers[half:]))

    poison = merge(*batches)
    expected = Expected(
        directory_in(fault_config),
        accepted={UUID(a.data["referral_id"]) for a in answers},
        dead_letters=poison.dead_letters,
        refused_by=poison.refused_by,
    )
    books = await account(corner, RUNNING, expected)
    assert books.grants == CASES
    assert books.dead_letters == {t: sum(c.values()) for t, c in poison.dead_letters.items()}
    sent = {t: len(v) for t, v in poison.by_topic.items()}
    say(f"poison sent {sent}: {books.line()} [{time.monotonic() - began:.1f}s]")
