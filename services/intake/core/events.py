"""The events intake publishes, built from a case: ids, codes, ages and amounts, never names,
contacts or document numbers (DESIGN rule 7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.intake.core.case import (
    ArrivalConfirmation,
    Case,
    CaseStatus,
    ClosureRecord,
    Plan,
    PlanAmendment,
    Reopening,
)
from services.intake.core.people import ADULT_AGE, age_on
from shared.events.codes import ArrivalCancellationReason, Category
from shared.events.intake import (
    ArrivalAnnounced,
    ArrivalCancelled,
    ArrivalConfirmed,
    ArrivalMissed,
    ArrivalRescheduled,
    CaseAssigned,
    CaseClosed,
    CaseReopened,
    ConsentChanged,
    ExpectedArrival,
    HouseholdChanged,
    HouseholdMember,
    NeedsAssessed,
    PlannedAssistance,
    ReintegrationPlanAmended,
    ReintegrationPlanApproved,
    ReturneeRegistered,
    WorkExperience,
)


def _household(case: Case, today: date) -> list[HouseholdMember]:
    """Those who travelled (an announced member who did not travel is not in the household)."""
    return [
        HouseholdMember(age=age_on(m.date_of_birth, today), sex=m.sex, relationship=m.relationship)
        for m in case.travelled()
    ]


def _expected_arrival(case: Case) -> ExpectedArrival | None:
    """How and when the family is expected, while it is (`expected`); None otherwise."""
    arrival = case.arrival
    if arrival is None or case.status is not CaseStatus.EXPECTED:
        return None
    return ExpectedArrival(
        mode=arrival.mode,
        carrier=arrival.carrier,
        number=arrival.number,
        arrival_point=arrival.arrival_point,
        scheduled_at=arrival.scheduled_at,
        special_assistance=arrival.special_assistance,
        meeting_code=arrival.meeting_code,
    )


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
        "expected_arrival": _expected_arrival(case),
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


def plan_amended(case: Case, plan: Plan, amendment: PlanAmendment, today: date) -> ReintegrationPlanAmended:
    """The approval's facts as of today, with the plan as amended and what it was."""
    approved = plan_approved(case, plan, amendment.approved_by or amendment.proposed_by, today)
    return ReintegrationPlanAmended(
        **approved.model_dump(exclude={"event_type"}),
        amendment_id=amendment.id,
        previous=[
            PlannedAssistance(assistance_type=a.assistance_type, requested=a.requested)
            for a in amendment.previous
        ],
        proposed_by=str(amendment.proposed_by),
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


def household_changed(case: Case, by: UUID, today: date) -> HouseholdChanged:
    return HouseholdChanged(**_case_facts(case, today), changed_by=str(by))


def case_reopened(case: Case, reopening: Reopening) -> CaseReopened:
    return CaseReopened(
        case_id=case.id,
        programme_id=case.programme_id,
        reason=reopening.reason,
        reopened_by=str(reopening.reopened_by),
    )


# --- the return itself ------------------------------------------------------------------------------


def arrival_announced(case: Case, today: date) -> ArrivalAnnounced:
    announced_by = case.arrival.announced_by if case.arrival else case.registered_by
    return ArrivalAnnounced(
        **_case_facts(case, today),
        country_of_return=case.country_of_return,
        sending_country=case.sending_country,
        announced_by=str(announced_by),
        assigned_to=case.assigned_to,
        office=case.office,
    )


def arrival_rescheduled(case: Case, previous: datetime, by: UUID, today: date) -> ArrivalRescheduled:
    return ArrivalRescheduled(
        **_case_facts(case, today), previous_scheduled_at=previous, rescheduled_by=str(by)
    )


def arrival_cancelled(case: Case, reason: ArrivalCancellationReason, by: UUID) -> ArrivalCancelled:
    return ArrivalCancelled(
        case_id=case.id, programme_id=case.programme_id, reason=reason, cancelled_by=str(by)
    )


def arrival_missed(case: Case, scheduled_at: datetime) -> ArrivalMissed:
    return ArrivalMissed(case_id=case.id, programme_id=case.programme_id, scheduled_at=scheduled_at)


def arrival_confirmed(
    case: Case, confirmation: ArrivalConfirmation, scheduled_at: datetime
) -> ArrivalConfirmed:
    return ArrivalConfirmed(
        **_case_facts(case, confirmation.arrived_at.date()),
        arrived_at=confirmation.arrived_at,
        scheduled_at=scheduled_at,
        met_by=confirmation.met_by,
        members_not_travelled=len(confirmation.not_travelled),
        confirmed_by=str(confirmation.confirmed_by),
    )
