"""Issue 15, point 2, as grants meets it: an amended plan's grant adjusted in balanced ledger
transactions (one amendment that adds, one that drops a type); a reopened case whose grant the
closure closed gets no revived grant (its cancelled installments stay cancelled, the released budget
stays released); a new approved plan opens a new grant; a household change does not resize a grant.
The books balance and the ledger verifies after each."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.events import Envelope, new_envelope
from shared.events.codes import AssistanceType as T
from shared.events.codes import ReopenReason
from shared.events.grants import GrantAmended
from shared.events.intake import (
    CaseReopened,
    HouseholdChanged,
    PlannedAssistance,
    ReintegrationPlanAmended,
    ReintegrationPlanApproved,
)
from shared.money import Money
from tests.support import eventually
from tests.unit.grants.builders import member, plan

from .conftest import GrantsService, case_closed, plan_approved

pytestmark = pytest.mark.integration


def case_reopened(case_id: UUID) -> Envelope:
    reopened = CaseReopened(
        case_id=case_id,
        programme_id="DE-STARTHILFEPLUS",
        reason=ReopenReason.RETURNEE_RECONTACTED,
        reopened_by="sup-1",
    )
    return new_envelope(reopened, key=case_id, producer="intake")


def household_changed(case_id: UUID, ages: list[int]) -> Envelope:
    changed = HouseholdChanged(
        case_id=case_id,
        programme_id="DE-STARTHILFEPLUS",
        municipality="skopje",
        household=[member(a) for a in ages],
        changed_by="cw-1",
    )
    return new_envelope(changed, key=case_id, producer="intake")


async def _balances(service: GrantsService) -> list[dict[str, Any]]:
    return list((await service.get("/v1/programmes/DE-STARTHILFEPLUS"))["balances"])


async def _grants_of(service: GrantsService, case_id: UUID) -> list[dict[str, Any]]:
    return list(await service.get("/v1/grants", case_id=str(case_id)))


async def test_a_reopened_case_gets_no_revived_grant_and_a_new_plan_opens_a_new_one(
    service: GrantsService,
) -> None:
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    await service.deliver(case_closed(approved.case_id, "unreachable"))

    async def closed() -> dict[str, Any] | None:
        found = await service.get(f"/v1/grants/{grant['id']}")
        return found if found["status"] == "closed" else None

    before = await eventually(closed, what="the grant to close with the case")
    available = await _balances(service)
    events_before = len(await service.published(approved.case_id, at_least=3))

    reopened = case_reopened(approved.case_id)
    await service.deliver(reopened)
    await service.processed(reopened)

    after = await service.get(f"/v1/grants/{grant['id']}")
    assert after["status"] == "closed"
    assert [i["status"] for i in after["installments"]] == [i["status"] for i in before["installments"]]
    assert "cancelled" in {i["status"] for i in after["installments"]}
    assert len(await _grants_of(service, approved.case_id)) == 1
    assert await _balances(service) == available
    assert len(await service.published(approved.case_id, at_least=events_before)) == events_before

    # the reopened case's new plan is a new grant
    again = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 60_000}, arrival=service.clock.today)
    again = again.model_copy(update={"case_id": approved.case_id, "plan_id": uuid4()})
    await service.deliver(plan_approved(again))

    async def two() -> list[dict[str, Any]] | None:
        grants = await _grants_of(service, approved.case_id)
        return grants if len(grants) == 2 else None

    grants = await eventually(two, what="a second grant for the reopened case")
    assert sorted(g["status"] for g in grants) == ["closed", "open"]
    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"], verdict


async def test_a_household_change_does_not_resize_a_grant(service: GrantsService) -> None:
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40, 9], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    changed = household_changed(approved.case_id, [40, 9, 0])
    await service.deliver(changed)
    await service.processed(changed)

    after = await service.get(f"/v1/grants/{grant['id']}")
    assert (after["status"], after["total"]) == (grant["status"], grant["total"])
    assert [i["amount"] for i in after["installments"]] == [i["amount"] for i in grant["installments"]]


def plan_amended(approved: ReintegrationPlanApproved, requests: dict[T, int]) -> Envelope:
    amended = ReintegrationPlanAmended(
        **approved.model_dump(exclude={"assistance"}),
        assistance=[
            PlannedAssistance(assistance_type=t, requested=Money(amount=a, currency="EUR"))
            for t, a in requests.items()
        ],
        amendment_id=uuid4(),
        previous=approved.assistance,
        proposed_by="cw-1",
    )
    return new_envelope(amended, key=approved.case_id, producer="intake")


async def _available(service: GrantsService) -> int:
    [balance] = await _balances(service)
    return int(balance["available"])


async def _amended(service: GrantsService, case_id: UUID) -> Envelope:
    events = await service.published(case_id, at_least=1)

    async def found() -> Envelope | None:
        mine = [e for e in await service.published(case_id, at_least=len(events)) if e.type == "GrantAmended"]
        return mine[0] if mine else None

    found_event = await eventually(found, what="GrantAmended")
    assert found_event is not None
    return found_event


async def test_an_amendment_that_adds_cancels_what_waited_and_commits_the_rest(
    service: GrantsService,
) -> None:
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40, 38], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    available = await _available(service)

    amendment = plan_amended(approved, {T.CASH: 160_000})
    await service.deliver(amendment)
    event = (await _amended(service, approved.case_id)).event_as(GrantAmended)

    assert (event.released.amount, event.committed.amount, event.total.amount) == (50_000, 110_000, 160_000)
    after = await service.get(f"/v1/grants/{grant['id']}")
    assert after["total"] == {"amount": 160_000, "currency": "EUR"}
    assert [(i["sequence"], i["amount"]["amount"], i["status"]) for i in after["installments"]] == [
        (1, 50_000, "due"),
        (2, 50_000, "cancelled"),
        (3, 30_000, "due"),  # the amended first half, less what was already due
        (4, 80_000, "scheduled"),
    ]
    assert await _available(service) == available - 60_000
    entries = await service.get("/v1/ledger/entries", grant_id=grant["id"])
    assert [(e["kind"], e["direction"], e["amount"]) for e in entries][2:] == [
        ("release", "debit", 50_000),
        ("release", "credit", 50_000),
        ("commitment", "debit", 110_000),
        ("commitment", "credit", 110_000),
    ]
    # the adjustment's release and commitment were posted in one append, so at one recorded time
    assert len({e["recorded_at"] for e in entries[2:]}) == 1
    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"], verdict
    # delivered again: the inbox knows it, nothing moves twice
    await service.deliver(amendment)
    await service.processed(amendment)
    assert await _available(service) == available - 60_000


async def test_an_amendment_that_drops_a_type_releases_only_what_still_waited(service: GrantsService) -> None:
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan(
        "DE-STARTHILFEPLUS", [40, 38], {T.CASH: 100_000, T.HOUSING: 60_000}, arrival=service.clock.today
    )
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    available = await _available(service)

    await service.deliver(plan_amended(approved, {T.CASH: 100_000}))
    event = (await _amended(service, approved.case_id)).event_as(GrantAmended)

    # housing's first half is already due (promised): it stands; its waiting half is released
    assert (event.released.amount, event.committed.amount, event.not_reduced.amount) == (30_000, 0, 30_000)
    assert event.added == []
    after = await service.get(f"/v1/grants/{grant['id']}")
    assert after["total"]["amount"] == 130_000
    housing = [i for i in after["installments"] if i["assistance_type"] == "housing"]
    assert sorted(i["status"] for i in housing) == ["cancelled", "due"]
    cash = [i["status"] for i in after["installments"] if i["assistance_type"] == "cash"]
    assert sorted(cash) == ["due", "scheduled"]  # cash unchanged: untouched
    assert await _available(service) == available + 30_000
    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"], verdict
