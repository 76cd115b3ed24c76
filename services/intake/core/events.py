"""The events intake publishes, built from a case: ids, codes, ages and amounts, never names,
contacts or document numbers (DESIGN rule 7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from services.intake.core.case import Case, ClosureRecord, Plan
from services.intake.core.people import ADULT_AGE, age_on
from shared.events.codes import Category
from shared.events.intake import (
    CaseAssigned,
    CaseClosed,
    ConsentChanged,
    HouseholdMember,
    NeedsAssessed,
    PlannedAssistance,
    ReintegrationPlanApproved,
    ReturneeRegistered,
    WorkExperience,
)


def _household(case: Case, today: date) -> list[HouseholdMember]:
    return [
        HouseholdMember(age=age_on(m.date_of_birth, today), sex=m.sex, relationship=m.relationship)
        for m in case.members
    ]


def _consent(case: Case) -> dict[Category, bool]:
    return {c: r.agrees for c, r in case.consent.items()}


def _work_history(case: Case) -> list[WorkExperience]:
    return [WorkExperience(sector=w.sector, years=w.years) for w in case.work_history]


def _case_facts(case: Case, today: date) -> dict[str, Any]:
    """What registration and assessment both tell referral: the routing facts, no personal data."""
    return {
        "case_id": case.id,
        "programme_id": case.programme_id,
        "municipality": case.municipality,
        "household": _household(case, today),
        "vulnerabilities": case.vulnerabilities,
        "needs": case.needs,
        "consent": _consent(case),
        "skills": case.skills,
        "work_history": _work_history(case),
        "training_wanted": case.training_wanted,
        "business_sector": case.business_sector,
        "business_plan_stage": case.business_plan_stage,
        "urgency": case.urgency,  # its reason stays here
        "arrival_date": case.arrival_date,
    }


def returnee_registered(case: Case, today: date) -> ReturneeRegistered:
    return ReturneeRegistered(
        **_case_facts(case, today),
        country_of_return=case.country_of_return,
        sending_country=case.sending_country,
        registered_by=str(case.registered_by),
        assigned_to=case.assigned_to,
        office=case.office,
    )


def needs_assessed(case: Case, by: UUID, today: date) -> NeedsAssessed:
    return NeedsAssessed(**_case_facts(case, today), assessed_by=str(by))


def consent_changed(
    case: Case, granted: Sequence[Category], withdrawn: Sequence[Category], by: UUID
) -> ConsentChanged:
    return ConsentChanged(
        case_id=case.id,
        consent=_consent(case),
        granted=list(granted),
        withdrawn=list(withdrawn),
        recorded_by=str(by),
    )


def plan_approved(case: Case, plan: Plan, approved_by: UUID, today: date) -> ReintegrationPlanApproved:
    """Grants sizes the grant from this: who is in the household (ages on the day of approval),
    the vulnerabilities, the assessed needs (a policy may fund a type only for its need), and what
    the plan requests."""
    members = _household(case, today)
    adults = sum(1 for m in members if m.age >= ADULT_AGE)
    return ReintegrationPlanApproved(
        case_id=case.id,
        plan_id=plan.id,
        programme_id=case.programme_id,
        arrival_date=case.arrival_date,
        household=members,
        adults=adults,
        children=len(members) - adults,
        vulnerabilities=case.vulnerabilities,
        needs=case.needs,
        assistance=[
            PlannedAssistance(assistance_type=a.assistance_type, requested=a.requested)
            for a in plan.assistance
        ],
        approved_by=str(approved_by),
    )


def case_assigned(case: Case, by: UUID) -> CaseAssigned:
    return CaseAssigned(
        case_id=case.id,
        programme_id=case.programme_id,
        assigned_to=case.assigned_to,
        office=case.office,
        assigned_by=str(by),
    )


def case_closed(case: Case, closure: ClosureRecord) -> CaseClosed:
    return CaseClosed(case_id=case.id, reason=closure.reason, closed_by=str(closure.closed_by))
