"""The decisions that change a case, and the events they publish: pure, no database, no broker."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.core import decisions
from services.intake.core.case import Case, CaseStatus, PlanStatus
from services.intake.core.errors import CaseConflict, DutiesNotSeparated
from services.intake.core.requests import (
    Assessment,
    Closure,
    ConsentChange,
    PlanProposal,
    Reassignment,
    Registration,
)
from services.intake.core.rules import assessment_problems, urgency_problems
from shared.events.codes import Category
from shared.events.intake import (
    CaseAssigned,
    CaseClosed,
    ConsentChanged,
    NeedsAssessed,
    ReintegrationPlanApproved,
    ReturneeRegistered,
)
from tests.unit.intake.samples import TODAY, family, years_ago

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 30, tzinfo=UTC)
CASEWORKER, SUPERVISOR = uuid4(), uuid4()
PLAN = PlanProposal.model_validate(
    {
        "assistance": [
            {"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}},
            {"assistance_type": "micro_business", "requested": {"amount": 250_000, "currency": "EUR"}},
        ],
        "note": "a bakery in Kisela Voda",
    }
)


ASSIGNMENT = decisions.first_assignment(CASEWORKER, True, "skopje")


def registered(**overrides: Any) -> decisions.Decision:
    return decisions.register(
        Registration.model_validate(family(**overrides)), uuid4(), CASEWORKER, NOW, ASSIGNMENT
    )


def approved_case() -> Case:
    case = decisions.propose_plan(registered().case, PLAN, uuid4(), CASEWORKER, NOW).case
    return decisions.approve_plan(case, None, SUPERVISOR, NOW + timedelta(hours=1)).case


def test_registration_opens_the_case_and_records_who_and_when() -> None:
    decision = registered()
    case = decision.case
    assert case.status is CaseStatus.REGISTERED
    assert (case.registered_by, case.registered_at, case.updated_by) == (CASEWORKER, NOW, CASEWORKER)
    assert {c: (r.agrees, r.recorded_by, r.recorded_at) for c, r in case.consent.items()} == {
        "housing": (True, CASEWORKER, NOW),
        "education": (True, CASEWORKER, NOW),
        "medical": (False, CASEWORKER, NOW),
    }
    assert decision.kind == "Registered"
    assert (
        decision.summary == "Registered: a household of 3, programme DE-STARTHILFEPLUS, municipality skopje"
    )


def test_returnee_registered_carries_ages_and_codes_and_no_personal_data() -> None:
    decision = registered()
    event = decision.event
    assert isinstance(event, ReturneeRegistered)
    assert [(m.age, m.sex, m.relationship) for m in event.household] == [
        (34, "female", "principal"),
        (9, "male", "child"),
        (4, "female", "child"),
    ]
    assert (event.country_of_return, event.sending_country, event.municipality) == ("MK", "DE", "skopje")
    assert event.registered_by == str(CASEWORKER)
    serialised = event.model_dump_json()
    for member in decision.case.members:
        assert member.name not in serialised
        assert member.date_of_birth.isoformat() not in serialised
    assert "P1234567" not in serialised


def test_an_assessment_replaces_needs_and_vulnerabilities() -> None:
    assessment = Assessment(needs=["employment"], vulnerabilities=[], skills=["baking"])
    decision = decisions.assess(registered().case, assessment, SUPERVISOR, NOW)
    assert decision.case.needs == ["employment"]
    assert decision.case.vulnerabilities == []
    assert decision.case.status is CaseStatus.ASSESSED
    assert decision.case.updated_by == SUPERVISOR
    assert isinstance(decision.event, NeedsAssessed)
    assert decision.event.skills == ["baking"]
    assert decision.event.assessed_by == str(SUPERVISOR)
    # every reader sees the line: not even how many vulnerabilities there are
    assert decision.summary == "Needs assessed: employment; urgency normal"


def test_the_urgency_is_published_and_its_reason_stays_in_intake() -> None:
    assessment = Assessment(
        needs=["housing"],
        vulnerabilities=["victim_of_trafficking"],
        urgency="urgent",
        urgency_reason="safety_risk",
    )
    decision = decisions.assess(registered().case, assessment, SUPERVISOR, NOW)
    assert (decision.case.urgency, decision.case.urgency_reason) == ("urgent", "safety_risk")
    assert isinstance(decision.event, NeedsAssessed)
    assert decision.event.urgency == "urgent"
    assert "safety_risk" not in decision.event.model_dump_json()
    assert decision.summary == "Needs assessed: housing; urgency urgent"


@pytest.mark.parametrize(
    ("urgency", "reason", "problem"),
    [
        ("normal", None, None),
        ("normal", "safety_risk", "a reason is given for a high or urgent case only"),
        ("high", None, "say why the case is high"),
        ("urgent", None, "say why the case is urgent"),
        ("urgent", "no_shelter", None),
    ],
)
def test_a_high_or_urgent_case_says_why_and_a_normal_one_does_not(
    urgency: str, reason: str | None, problem: str | None
) -> None:
    assessment = Assessment(needs=[], vulnerabilities=[], urgency=urgency, urgency_reason=reason)
    found = urgency_problems(assessment)
    assert [(p.loc, p.message) for p in found] == ([(("urgency_reason",), problem)] if problem else [])


def test_training_and_business_details_are_kept_and_published_for_referral() -> None:
    assessment = Assessment(
        needs=["vocational_training", "micro_business"],
        vulnerabilities=[],
        skills=["carpentry"],
        training_wanted=["CNC joinery"],
        business_sector="crafts",
        business_plan_stage="plan_drafted",
    )
    decision = decisions.assess(registered().case, assessment, CASEWORKER, NOW)
    case = decision.case
    assert (case.training_wanted, case.business_sector, case.business_plan_stage) == (
        ["CNC joinery"],
        "crafts",
        "plan_drafted",
    )
    assert isinstance(decision.event, NeedsAssessed)
    assert decision.event.training_wanted == ["CNC joinery"]
    assert (decision.event.business_sector, decision.event.business_plan_stage) == ("crafts", "plan_drafted")


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"needs": ["vocational_training"], "training_wanted": ["welding"]}, []),
        (
            {"needs": ["vocational_training"]},
            [("training_wanted", "name the training the returnee wants (vocational_training)")],
        ),
        (
            {"needs": ["employment"], "training_wanted": ["welding"]},
            [("training_wanted", "training wanted goes with the vocational_training need")],
        ),
        ({"needs": ["micro_business"], "business_sector": "retail", "business_plan_stage": "idea"}, []),
        (
            {"needs": ["micro_business"], "business_sector": "retail"},
            [("business_plan_stage", "a micro_business need needs its business plan stage")],
        ),
        (
            {"needs": ["micro_business"]},
            [
                ("business_sector", "a micro_business need needs its business sector"),
                ("business_plan_stage", "a micro_business need needs its business plan stage"),
            ],
        ),
        (
            {"needs": ["housing"], "business_sector": "retail", "business_plan_stage": "trading"},
            [
                ("business_sector", "the business sector goes with the micro_business need"),
                ("business_plan_stage", "the business plan stage goes with the micro_business need"),
            ],
        ),
    ],
)
def test_a_training_or_business_need_comes_with_its_details_and_the_details_with_their_need(
    fields: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    found = assessment_problems(Assessment(vulnerabilities=[], **fields))
    assert [(p.field, p.message) for p in found] == problems


def test_an_assessment_after_a_plan_keeps_the_plan_status() -> None:
    case = decisions.propose_plan(registered().case, PLAN, uuid4(), CASEWORKER, NOW).case
    assessed = decisions.assess(case, Assessment(needs=["housing"], vulnerabilities=[]), CASEWORKER, NOW)
    assert assessed.case.status is CaseStatus.PLAN_PROPOSED


def test_consent_records_only_what_changed_with_who_and_when() -> None:
    case = registered().case
    later = NOW + timedelta(days=3)
    change = ConsentChange(consent={"housing": True, "medical": True, "education": False})

    decision = decisions.change_consent(case, change, SUPERVISOR, later)

    assert isinstance(decision.event, ConsentChanged)
    assert (decision.event.granted, decision.event.withdrawn) == (["medical"], ["education"])
    assert decision.event.consent == {"housing": True, "education": False, "medical": True}
    consent = decision.case.consent
    housing, medical = consent[Category.HOUSING], consent[Category.MEDICAL]
    assert (housing.recorded_by, housing.recorded_at) == (CASEWORKER, NOW)  # unchanged
    assert (medical.recorded_by, medical.recorded_at) == (SUPERVISOR, later)
    assert decision.summary == "Consent given for medical; withdrawn for education"


def test_consent_that_is_already_on_record_changes_nothing() -> None:
    case = registered().case
    decision = decisions.change_consent(case, ConsentChange(consent={"housing": True}), SUPERVISOR, NOW)
    assert decision.case is case
    assert decision.event is None


def test_a_plan_is_proposed_then_approved_by_someone_with_the_household_composition() -> None:
    case = decisions.propose_plan(registered().case, PLAN, plan_id := uuid4(), CASEWORKER, NOW).case
    assert case.status is CaseStatus.PLAN_PROPOSED
    assert case.plan is not None
    assert case.plan.status is PlanStatus.PROPOSED

    decision = decisions.approve_plan(case, plan_id, SUPERVISOR, NOW)

    event = decision.event
    assert isinstance(event, ReintegrationPlanApproved)
    assert (event.plan_id, event.programme_id, event.adults, event.children) == (
        plan_id,
        "DE-STARTHILFEPLUS",
        1,
        2,
    )
    assert [m.age for m in event.household] == [34, 9, 4]
    assert event.vulnerabilities == ["single_parent"]
    assert [(a.assistance_type, a.requested.amount) for a in event.assistance] == [
        ("cash", 100_000),
        ("micro_business", 250_000),
    ]
    assert event.approved_by == str(SUPERVISOR)
    assert "bakery" not in event.model_dump_json()
    assert decision.summary == "Plan approved: EUR 3500.00"
    assert decision.case.status is CaseStatus.PLAN_APPROVED


def test_ages_in_the_approval_are_counted_on_the_day_of_approval() -> None:
    data = family()
    data["members"][0]["date_of_birth"] = years_ago(18, days=-10)  # 18 in ten days
    data["members"] = data["members"][:1]
    data["vulnerabilities"] = ["unaccompanied_minor"]
    case = decisions.register(Registration.model_validate(data), uuid4(), CASEWORKER, NOW, ASSIGNMENT).case
    case = decisions.propose_plan(case, PLAN, uuid4(), CASEWORKER, NOW).case
    approved = decisions.approve_plan(case, None, SUPERVISOR, NOW + timedelta(days=10)).event
    assert isinstance(approved, ReintegrationPlanApproved)
    assert (approved.household[0].age, approved.adults, approved.children) == (18, 1, 0)


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda: registered().case, "the case has no plan to approve"),
        (approved_case, "the plan is already approved"),
    ],
)
def test_approving_needs_a_proposed_plan(prepare: Callable[[], Case], message: str) -> None:
    with pytest.raises(CaseConflict, match=message):
        decisions.approve_plan(prepare(), None, SUPERVISOR, NOW)


def test_approving_names_the_current_plan() -> None:
    case = decisions.propose_plan(registered().case, PLAN, uuid4(), CASEWORKER, NOW).case
    with pytest.raises(CaseConflict, match="is not the case's current plan"):
        decisions.approve_plan(case, uuid4(), SUPERVISOR, NOW)


def test_the_supervisor_who_proposed_a_plan_may_not_approve_it() -> None:
    case = decisions.propose_plan(registered().case, PLAN, uuid4(), SUPERVISOR, NOW).case
    with pytest.raises(DutiesNotSeparated, match="another supervisor must approve it"):
        decisions.approve_plan(case, None, SUPERVISOR, NOW)
    other = uuid4()
    assert decisions.approve_plan(case, None, other, NOW).case.plan.approved_by == other  # type: ignore[union-attr]


def test_a_replaced_plan_is_approved_against_its_own_proposer() -> None:
    """The rule looks at who proposed the current plan: the earlier proposer may approve a plan
    someone else proposed since."""
    case = decisions.propose_plan(registered().case, PLAN, uuid4(), SUPERVISOR, NOW).case
    case = decisions.propose_plan(case, PLAN, uuid4(), CASEWORKER, NOW).case
    assert decisions.approve_plan(case, None, SUPERVISOR, NOW).case.status is CaseStatus.PLAN_APPROVED


def test_a_case_starts_with_its_registering_caseworker_and_their_office() -> None:
    decision = registered()
    assert (decision.case.assigned_to, decision.case.office) == (CASEWORKER, "skopje")
    event = decision.event
    assert isinstance(event, ReturneeRegistered)
    assert (event.assigned_to, event.office) == (CASEWORKER, "skopje")
    by_supervisor = decisions.first_assignment(SUPERVISOR, False, "bitola")
    assert (by_supervisor.assigned_to, by_supervisor.office) == (None, "bitola")


def test_reassigning_a_case_records_it_and_tells_referral() -> None:
    case = registered().case
    other = uuid4()
    decision = decisions.reassign(case, Reassignment(assigned_to=other, office="bitola"), SUPERVISOR, NOW)
    assert (decision.case.assigned_to, decision.case.office, decision.case.updated_by) == (
        other,
        "bitola",
        SUPERVISOR,
    )
    assert decision.kind == "CaseAssigned"
    assert isinstance(decision.event, CaseAssigned)
    assert (decision.event.assigned_to, decision.event.office, decision.event.programme_id) == (
        other,
        "bitola",
        case.programme_id,
    )
    same = decisions.reassign(
        decision.case, Reassignment(assigned_to=other, office="bitola"), SUPERVISOR, NOW
    )
    assert (same.case is decision.case, same.event) == (True, None)


def test_an_approved_plan_cannot_be_replaced() -> None:
    with pytest.raises(CaseConflict, match="already approved"):
        decisions.propose_plan(approved_case(), PLAN, uuid4(), CASEWORKER, NOW)


def test_a_closed_case_takes_no_more_changes() -> None:
    closed = decisions.close(registered().case, Closure(reason="re_migrated"), CASEWORKER, NOW)
    assert isinstance(closed.event, CaseClosed)
    assert (closed.event.reason, closed.event.closed_by) == ("re_migrated", str(CASEWORKER))
    case = closed.case
    changes: list[Callable[[], object]] = [
        lambda: decisions.assess(case, Assessment(needs=[], vulnerabilities=[]), CASEWORKER, NOW),
        lambda: decisions.change_consent(case, ConsentChange(consent={"medical": True}), CASEWORKER, NOW),
        lambda: decisions.propose_plan(case, PLAN, uuid4(), CASEWORKER, NOW),
        lambda: decisions.close(case, Closure(reason="other"), CASEWORKER, NOW),
    ]
    for change in changes:
        with pytest.raises(CaseConflict, match="closed"):
            change()


def test_a_stored_case_reads_back_equal() -> None:
    case = approved_case()
    assert Case.model_validate(json.loads(case.model_dump_json())) == case


@given(amounts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=7, unique=False))
def test_the_approved_assistance_is_exactly_what_was_requested(amounts: list[int]) -> None:
    types = [
        "cash",
        "in_kind",
        "micro_business",
        "housing",
        "education",
        "vocational_training",
        "job_placement",
    ]
    proposal = PlanProposal.model_validate(
        {
            "assistance": [
                {"assistance_type": t, "requested": {"amount": a, "currency": "EUR"}}
                for t, a in zip(types, amounts, strict=False)
            ]
        }
    )
    case = decisions.propose_plan(registered().case, proposal, uuid4(), CASEWORKER, NOW).case
    event = decisions.approve_plan(case, None, SUPERVISOR, NOW).event
    assert isinstance(event, ReintegrationPlanApproved)
    assert [a.requested.amount for a in event.assistance] == amounts
    assert sum(a.requested.amount for a in event.assistance) == sum(amounts)
