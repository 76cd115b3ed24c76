"""The end of a demo: what the system says now, read back through its APIs (not what the demo
believes it did), as a dict for JSON and as text tables for people."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

from homeward.demo.casework import CaseRecord
from homeward.demo.client import Api
from homeward.demo.status_watch import median
from homeward.demo.team import Team

OUTCOME_MILESTONES = ("monitoring_visit", "business_operating", "referral_completed")


async def _gathered(calls: list[Any], limit: int = 16) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls))


async def ledger_totals(api: Api, token: str) -> dict[str, dict[str, int]]:
    """currency → Σ debits and Σ credits over every ledger entry."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"debit": 0, "credit": 0})
    after = 0
    while True:
        page = await api.get("grants", "/v1/ledger/entries", token, after_seq=after, limit=5000)
        for entry in page:
            totals[entry["currency"]][entry["direction"]] += int(entry["amount"])
        if len(page) < 5000:
            return dict(sorted(totals.items()))
        after = page[-1]["seq"]


async def collect(
    api: Api, team: Team, records: list[CaseRecord], waits: dict[tuple[str, str], list[float]]
) -> dict[str, Any]:
    reader = team.supervisors[0].token
    auditor = team.auditor.token
    ids = [r.case_id for r in records if r.case_id]
    cases = await _gathered([api.get("intake", f"/v1/cases/{i}", reader) for i in ids])
    by_status = Counter(c["status"] for c in cases)
    if len(ids) < len(records):
        by_status["not registered (error)"] = len(records) - len(ids)
    referral_lists = await _gathered([api.get("referral", "/v1/referrals", reader, case_id=i) for i in ids])
    referrals = [r for found in referral_lists for r in found["referrals"]]
    grant_lists = await _gathered([api.get("grants", "/v1/grants", auditor, case_id=i) for i in ids])
    grants = [g for found in grant_lists for g in found]
    installment_lists = await _gathered(
        [api.get("grants", "/v1/installments", auditor, grant_id=g["id"], limit=1000) for g in grants]
    )
    installments = [i for found in installment_lists for i in found]
    balances = await api.get("grants", "/v1/ledger/balances", auditor)
    totals = await ledger_totals(api, auditor)
    verify = await api.get("grants", "/v1/ledger/verify", auditor)
    return {
        "cases": {"total": len(records), "by_status": dict(sorted(by_status.items()))},
        "referrals": referral_summary(referrals, waits),
        "grants": grant_summary(grants, installments),
        "ledger": {
            "balances": balances["programmes"],
            "every_programme_balances": all(
                b["budget"] == b["available"] + b["committed"] + b["disbursed"]
                for b in balances["programmes"]
            ),
            "entries": totals,
            "debits_equal_credits": all(t["debit"] == t["credit"] for t in totals.values()),
            "verify": {"ok": verify["ok"], "verdict": verify["verdict"]},
        },
        "errors": [r.error for r in records if r.error],
    }


def referral_summary(
    referrals: list[dict[str, Any]], waits: dict[tuple[str, str], list[float]]
) -> dict[str, Any]:
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in referrals:
        rows[(r["category"], r["partner_id"] or "-")][r["status"]] += 1
    table = []
    for (category, partner), statuses in sorted(rows.items()):
        wait = median(waits.get((category, partner), []))
        table.append(
            {
                "category": category,
                "partner_id": partner,
                "total": sum(statuses.values()),
                "by_status": dict(sorted(statuses.items())),
                "median_seconds_to_acceptance": None if wait is None else round(wait, 2),
            }
        )
    every_wait = [w for values in waits.values() for w in values]
    return {
        "total": len(referrals),
        "by_status": dict(sorted(Counter(r["status"] for r in referrals).items())),
        "by_category_and_partner": table,
        "median_seconds_to_acceptance": None if not every_wait else round(float(median(every_wait) or 0), 2),
    }


def grant_summary(grants: list[dict[str, Any]], installments: list[dict[str, Any]]) -> dict[str, Any]:
    programmes: dict[str, dict[str, Any]] = {}
    for g in grants:
        entry = programmes.setdefault(
            g["programme_id"],
            {"currency": g["total"]["currency"], "grants": Counter(), "granted": 0, "installments": {}},
        )
        entry["grants"][g["status"]] += 1
        entry["granted"] += g["total"]["amount"]
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for i in installments:
        if i["milestone"] in OUTCOME_MILESTONES:
            outcomes[i["milestone"]][i["status"]] += 1
        lines = programmes[i["programme_id"]]["installments"]
        line = lines.setdefault(i["status"], {"count": 0, "amount": 0})
        line["count"] += 1
        line["amount"] += i["amount"]["amount"]
    for entry in programmes.values():
        entry["grants"] = dict(sorted(entry["grants"].items()))
        entry["installments"] = dict(sorted(entry["installments"].items()))
    return {
        "total": len(grants),
        "by_programme": dict(sorted(programmes.items())),
        # installments that waited for what monitoring and partners found, by status
        "outcome_installments": {m: dict(sorted(c.items())) for m, c in sorted(outcomes.items())},
    }
