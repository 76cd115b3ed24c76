"""Amending an approved plan (issue 15, point 2): the pure decisions and the event grants reads."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from services.intake.core import amendments
from services.intake.core.case import PlanStatus
from services.intake.core.errors import CaseConflict, DutiesNotSeparated
from services.intake.core.requests import PlanProposal
from shared.events.intake import ReintegrationPlanAmended
from tests.unit.intake.test_case_decisions import CASEWORKER, NOW, SUPERVISOR, approved_case, registered

OTHER_SUPERVISOR = uuid4()
AMENDED = PlanProposal.model_validate(
    {
        "assistance": [
            {"assistance_type": "cash", "requested": {"amount": 150_000, "currency": "EUR"}},
            {"assistance_type": "housing", "requested": {"amount": 60_000, "currency": "EUR"}},
        ],
        "note": "the bakery closed; rent instead",
    }
)


def test_a_proposed_amendment_waits_and_the_approved_plan_stands() -> None:
    case = approved_case()
    decision = amendments.propose_amendment(case, AMENDED, uuid4(), CASEWORKER, NOW)
    assert decision.event is None
    assert decision.case.plan == case.plan
    pending = decision.case.amendment
    assert pending is not None
    assert pending.status is PlanStatus.PROPOSED
    assert case.plan is not None
    assert pending.previous == case.plan.assistance
    assert decision.summary == "Plan amendment proposed: cash EUR 1500.00, housing EUR 600.00"


def test_the_proposer_may_not_approve_and_another_supervisor_does() -> None:
    case = approved_case()
    proposed = amendments.propose_amendment(case, AMENDED, uuid4(), SUPERVISOR, NOW).case
    with pytest.raises(DutiesNotSeparated):
        amendments.approve_amendment(proposed, None, SUPERVISOR, NOW)
    later = NOW + timedelta(hours=2)
    decision = amendments.approve_amendment(proposed, None, OTHER_SUPERVISOR, later)

    plan = decision.case.plan
    assert plan is not None
    assert plan.assistance == AMENDED.assistance
    assert [a.approved_by for a in plan.amendments] == [OTHER_SUPERVISOR]
    assert decision.case.amendment is None
    event = decision.event
    assert isinstance(event, ReintegrationPlanAmended)
    assert event.plan_id == plan.id
    assert [(a.assistance_type, a.requested.amount) for a in event.assistance] == [
        ("cash", 150_000),
        ("housing", 60_000),
    ]
    assert [(a.assistance_type, a.requested.amount) for a in event.previous] == [
        ("cash", 100_000),
        ("micro_business", 250_000),
    ]
    assert (event.approved_by, event.proposed_by) == (str(OTHER_SUPERVISOR), str(SUPERVISOR))
    assert [m.age for m in event.household] == [34, 9, 4]
    assert "bakery" not in event.model_dump_json()  # the note stays in intake


def test_only_an_approved_plan_is_amended_and_only_by_a_change() -> None:
    with pytest.raises(CaseConflict):
        amendments.propose_amendment(registered().case, AMENDED, uuid4(), CASEWORKER, NOW)
    case = approved_case()
    same = PlanProposal(assistance=list(reversed(case.plan.assistance)) if case.plan else [])
    with pytest.raises(CaseConflict):
        amendments.propose_amendment(case, same, uuid4(), CASEWORKER, NOW)
    with pytest.raises(CaseConflict):
        amendments.approve_amendment(case, None, OTHER_SUPERVISOR, NOW)


def test_approving_an_amendment_replaced_meanwhile_is_refused() -> None:
    case = approved_case()
    first = amendments.propose_amendment(case, AMENDED, uuid4(), CASEWORKER, NOW).case
    stale = first.amendment.id if first.amendment else None
    second = amendments.propose_amendment(first, AMENDED, uuid4(), CASEWORKER, NOW).case
    with pytest.raises(CaseConflict):
        amendments.approve_amendment(second, stale, OTHER_SUPERVISOR, NOW)


def test_the_timeline_says_how_grants_amended_the_grant() -> None:
    from services.intake.core.timeline import describe
    from shared.events.grants import GrantAmended
    from shared.money import Money

    def eur(amount: int) -> Money:
        return Money(amount=amount, currency="EUR")

    event = GrantAmended(
        grant_id=uuid4(),
        case_id=uuid4(),
        amendment_id=uuid4(),
        programme_id="DE-STARTHILFEPLUS",
        total=eur(160_000),
        released=eur(50_000),
        committed=eur(110_000),
        not_reduced=eur(0),
        cancelled_installments=[uuid4()],
        added=[],
    )
    assert describe(event) == (
        "Grant amended: EUR 1600.00; 0 installments added (EUR 1100.00), 1 cancelled (EUR 500.00 released)"
    )
