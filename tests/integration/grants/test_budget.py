"""A programme never commits more than it has: a grant over budget waits, visibly, and opens —
oldest first — when funding arrives or a closed case gives its commitment back."""

from __future__ import annotations

from typing import Any

import pytest

from shared.events.codes import AssistanceType as T
from tests.support import eventually
from tests.unit.grants.builders import plan

from .conftest import GrantsService, case_closed, plan_approved

pytestmark = pytest.mark.integration
PROGRAMME = "CH-RKH"


def chf(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "CHF"}


async def ask(service: GrantsService, adults: int, amount: int) -> tuple[Any, dict[str, Any]]:
    approved = plan(PROGRAMME, [40] * adults, {T.CASH: amount}, currency="CHF", arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    return approved, await service.grant_of(approved.case_id)


async def budget(service: GrantsService) -> dict[str, Any]:
    view: dict[str, Any] = await service.get(f"/v1/programmes/{PROGRAMME}")
    line = (
        view["balances"][0]
        if view["balances"]
        else {"budget": 0, "available": 0, "committed": 0, "disbursed": 0}
    )
    return {**line, "waiting": view["awaiting_funding"]}


async def status_of(service: GrantsService, grant: dict[str, Any]) -> str:
    status: str = (await service.get(f"/v1/grants/{grant['id']}"))["status"]
    return status


async def test_an_over_budget_grant_waits_and_opens_when_funding_arrives(service: GrantsService) -> None:
    await service.fund(PROGRAMME, 100_000, currency="CHF")
    first_plan, first = await ask(service, adults=2, amount=200_000)
    second_plan, second = await ask(service, adults=1, amount=50_000)  # would fit, but the older one waits
    assert (first["status"], second["status"]) == ("awaiting_funding", "awaiting_funding")
    assert await budget(service) == {
        "programme_id": PROGRAMME,
        "currency": "CHF",
        "budget": 100_000,
        "available": 100_000,
        "committed": 0,
        "disbursed": 0,
        "waiting": {"grants": 2, "total": 250_000},
    }
    waiting = await service.published(first_plan.case_id, at_least=1)
    assert [(e.type, e.data["shortfall"]) for e in waiting] == [("GrantAwaitingFunding", chf(100_000))]
    behind = await service.published(second_plan.case_id, at_least=1)
    assert behind[0].data["shortfall"] == chf(150_000)
    early = await service.post(f"/v1/installments/{first['installments'][0]['id']}/approve", "fin-a")
    assert early.status_code == 409
    assert "awaiting funding" in early.json()["detail"]

    partly = await service.fund(PROGRAMME, 120_000, currency="CHF")
    assert partly["opened_grants"] == [first["id"]]
    assert (await status_of(service, first), await status_of(service, second)) == ("open", "awaiting_funding")
    assert (await budget(service))["available"] == 20_000

    rest = await service.fund(PROGRAMME, 30_000, currency="CHF")
    assert rest["opened_grants"] == [second["id"]]
    assert await budget(service) | {"waiting": None} == {
        "programme_id": PROGRAMME,
        "currency": "CHF",
        "budget": 250_000,
        "available": 0,
        "committed": 250_000,
        "disbursed": 0,
        "waiting": None,
    }
    events = await service.published(first_plan.case_id, at_least=3)
    assert [e.type for e in events] == ["GrantAwaitingFunding", "GrantOpened", "InstallmentDue"]
    assert events[1].correlation_id == events[0].correlation_id  # the same conversation as the plan approval


async def test_a_closed_case_gives_its_commitment_back_to_the_next_waiting_grant(
    service: GrantsService,
) -> None:
    await service.fund(PROGRAMME, 100_000, currency="CHF")
    open_plan, opened = await ask(service, adults=1, amount=80_000)
    _, waiting = await ask(service, adults=1, amount=60_000)
    assert (opened["status"], waiting["status"]) == ("open", "awaiting_funding")

    await service.deliver(case_closed(open_plan.case_id, reason="re_migrated"))

    async def waiting_opened() -> bool:
        return await status_of(service, waiting) == "open"

    await eventually(waiting_opened, what="the released commitment to open the waiting grant")
    assert await status_of(service, opened) == "closed"
    closed = (await service.published(open_plan.case_id, at_least=3))[-1]
    assert (closed.type, closed.data["released"], closed.data["reason"]) == (
        "GrantClosed",
        chf(80_000),
        "re_migrated",
    )
    assert (await budget(service))["available"] == 40_000


async def test_a_case_closed_while_its_grant_waits_releases_nothing(service: GrantsService) -> None:
    waiting_plan, waiting = await ask(service, adults=2, amount=200_000)
    assert waiting["status"] == "awaiting_funding"
    await service.deliver(case_closed(waiting_plan.case_id, reason="withdrew"))
    events = await service.published(waiting_plan.case_id, at_least=2)
    assert [e.type for e in events] == ["GrantAwaitingFunding", "GrantClosed"]
    assert events[1].data["released"] == chf(0)
    assert len(events[1].data["cancelled_installments"]) == 1
    assert await service.get("/v1/ledger/entries", grant_id=waiting["id"]) == []
    assert (await budget(service))["waiting"] == {"grants": 0, "total": 0}


async def test_funding_that_covers_several_waiting_grants_commits_them_in_one_append(
    service: GrantsService,
) -> None:
    # a programme of its own: the other tests here leave CH-RKH's budget as they end
    programme = "NL-AVRR"

    async def available() -> int:
        view = await service.get(f"/v1/programmes/{programme}")
        return int(view["balances"][0]["available"]) if view["balances"] else 0

    waiting = []
    for amount in (50_000, 40_000):
        approved = plan(programme, [40], {T.CASH: amount}, arrival=service.clock.today)
        await service.deliver(plan_approved(approved))
        waiting.append(await service.grant_of(approved.case_id))
    first, second = waiting
    assert (first["status"], second["status"]) == ("awaiting_funding", "awaiting_funding")
    totals = [grant["total"]["amount"] for grant in waiting]  # what the policy grants of each
    before = await available()

    funded = await service.fund(programme, sum(totals) + 10_000)
    assert funded["opened_grants"] == [first["id"], second["id"]]  # oldest first
    assert await available() == before + 10_000
    commitments = [
        entry
        for grant in (first, second)
        for entry in await service.get("/v1/ledger/entries", grant_id=grant["id"])
        if entry["kind"] == "commitment"
    ]
    assert [(e["direction"], e["amount"]) for e in commitments] == [
        ("debit", totals[0]),
        ("credit", totals[0]),
        ("debit", totals[1]),
        ("credit", totals[1]),
    ]
    # both commitments were posted in one append (one chain-head lock), so at one recorded time
    assert len({e["recorded_at"] for e in commitments}) == 1
    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"], verdict
