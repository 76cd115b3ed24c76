"""Issue 15, point 2, as grants meets it: a reopened case whose grant the closure closed gets no
revived grant (its cancelled installments stay cancelled, the released budget stays released); a
new approved plan opens a new grant; a household change does not resize a grant. The books balance
and the ledger verifies after each."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.events import Envelope, new_envelope
from shared.events.codes import AssistanceType as T
from shared.events.codes import ReopenReason
from shared.events.intake import CaseReopened, HouseholdChanged
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
