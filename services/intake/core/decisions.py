"""The decisions that change a case: pure functions from (case, request, who, when) to the new case,
the line it adds to the case's history and the event it publishes. A refusal is a CaseConflict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.intake.core import events
from services.intake.core.arrival_requests import Announcement
from services.intake.core.case import (
    Arrival,
    Case,
    CaseStatus,
    ClosureRecord,
    ConsentRecord,
    Plan,
    PlanStatus,
)
from services.intake.core.errors import CaseConflict, DutiesNotSeparated
from services.intake.core.requests import (
    Assessment,
    Closure,
    ConsentChange,
    PlanProposal,
    Reassignment,
    Registration,
)
from shared.events.codes import Category
from shared.events.envelope import Event


@dataclass(frozen=True)
class Assignment:
    """Who works on a case and its office (either may be None)."""

    assigned_to: UUID | None
    office: str | None


def first_assignment(registrant: UUID, registrant_is_caseworker: bool, office: str | None) -> Assignment:
    """A case starts with the caseworker who registers it (a supervisor registering assigns no
    one), in the registrant's office."""
    return Assignment(registrant if registrant_is_caseworker else None, office)


@dataclass(frozen=True)
class Decision:
    case: Case
    kind: str  # what the case's history calls this change
    summary: str  # one line for the timeline: ids and codes only, never personal data
    event: Event | None


def new_case(
    request: Registration | Announcement,
    case_id: UUID,
    status: CaseStatus,
    arrival_date: date,
    by: UUID,
    now: datetime,
    assignment: Assignment,
    arrival: Arrival | None = None,
) -> Case:
    """A case as a registration or an announcement brings it in: the household, its needs and the
    consent given, recorded as given by `by`, now."""
    return Case(
        id=case_id,
        status=status,
        programme_id=request.programme,
        country_of_return=request.country_of_return,
        municipality=request.municipality,
        sending_country=request.sending_country,
        arrival_date=arrival_date,
        members=request.members,
        vulnerabilities=request.vulnerabilities,
        needs=request.needs,
        consent={
            c: ConsentRecord(agrees=a, recorded_by=by, recorded_at=now) for c, a in request.consent.items()
        },
        registered_by=by,
        registered_at=now,
        updated_by=by,
        updated_at=now,
        assigned_to=assignment.assigned_to,
        office=assignment.office,
        arrival=arrival,
    )


def register(
    registration: Registration, case_id: UUID, by: UUID, now: datetime, assignment: Assignment
) -> Decision:
    case = new_case(
        registration, case_id, CaseStatus.REGISTERED, registration.arrival_date, by, now, assignment
    )
    size = len(case.members)
    summary = (
        f"Registered: {'one returnee' if size == 1 else f'a household of {size}'},"
        f" programme {case.programme_id}, municipality {case.municipality}"
    )
    return Decision(case, "Registered", summary, events.returnee_registered(case, now.date()))


ENDED = frozenset({CaseStatus.CLOSED, CaseStatus.ARRIVAL_CANCELLED, CaseStatus.ARRIVAL_MISSED})


def _open(case: Case) -> None:
    if case.status is CaseStatus.CLOSED:
        raise CaseConflict("the case is closed")
    if case.status in ENDED:
        raise CaseConflict("the announced return did not happen: the case has ended")


def assess(case: Case, assessment: Assessment, by: UUID, now: datetime) -> Decision:
    _open(case)
    status = case.status if case.status is not CaseStatus.REGISTERED else CaseStatus.ASSESSED
    assessed = case.model_copy(
        update={
            "needs": assessment.needs,
            "vulnerabilities": assessment.vulnerabilities,
            "skills": assessment.skills,
            "work_history": assessment.work_history,
            "training_wanted": assessment.training_wanted,
            "business_sector": assessment.business_sector,
            "business_plan_stage": assessment.business_plan_stage,
            "urgency": assessment.urgency,
            "urgency_reason": assessment.urgency_reason,
            "status": status,
            "updated_by": by,
            "updated_at": now,
        }
    )
    needs = ", ".join(assessment.needs) or "none"
    # every reader of the timeline sees this line: not even how many vulnerabilities there are
    summary = f"Needs assessed: {needs}; urgency {assessment.urgency.value}"
    return Decision(assessed, "NeedsAssessed", summary, events.needs_assessed(assessed, by, now.date()))


def change_consent(case: Case, change: ConsentChange, by: UUID, now: datetime) -> Decision:
    """Only categories whose answer differs are recorded; no difference, no event."""
    _open(case)
    current = {c: r.agrees for c, r in case.consent.items()}
    changed = {c: a for c, a in change.consent.items() if current.get(c) != a}
    if not changed:
        return Decision(case, "ConsentUnchanged", "Consent unchanged", None)
    consent = dict(case.consent)
    consent.update({c: ConsentRecord(agrees=a, recorded_by=by, recorded_at=now) for c, a in changed.items()})
    updated = case.model_copy(update={"consent": consent, "updated_by": by, "updated_at": now})
    granted = [c for c in Category if changed.get(c) is True]
    withdrawn = [c for c in Category if changed.get(c) is False]
    parts = [f"given for {', '.join(granted)}"] if granted else []
    parts += [f"withdrawn for {', '.join(withdrawn)}"] if withdrawn else []
    summary = "Consent " + "; ".join(parts)
    return Decision(
        updated, "ConsentChanged", summary, events.consent_changed(updated, granted, withdrawn, by)
    )


def propose_plan(case: Case, proposal: PlanProposal, plan_id: UUID, by: UUID, now: datetime) -> Decision:
    """A proposed plan may be replaced until it is approved; a plan waits for the arrival."""
    _open(case)
    if case.status is CaseStatus.EXPECTED:
        raise CaseConflict("the family has not arrived yet: a plan follows the arrival")
    if case.plan is not None and case.plan.status is PlanStatus.APPROVED:
        raise CaseConflict("the case's plan is already approved")
    plan = Plan(
        id=plan_id,
        status=PlanStatus.PROPOSED,
        assistance=proposal.assistance,
        note=proposal.note,
        proposed_by=by,
        proposed_at=now,
    )
    updated = case.model_copy(
        update={"plan": plan, "status": CaseStatus.PLAN_PROPOSED, "updated_by": by, "updated_at": now}
    )
    lines = ", ".join(f"{a.assistance_type} {a.requested}" for a in plan.assistance)
    return Decision(updated, "PlanProposed", f"Plan proposed: {lines}", None)


def approve_plan(case: Case, plan_id: UUID | None, by: UUID, now: datetime) -> Decision:
    _open(case)
    plan = case.plan
    if plan is None:
        raise CaseConflict("the case has no plan to approve")
    if plan_id is not None and plan_id != plan.id:
        raise CaseConflict(f"plan {plan_id} is not the case's current plan ({plan.id})")
    if plan.status is PlanStatus.APPROVED:
        raise CaseConflict("the plan is already approved")
    if plan.proposed_by == by:
        raise DutiesNotSeparated("you proposed this plan: another supervisor must approve it")
    approved = plan.model_copy(update={"status": PlanStatus.APPROVED, "approved_by": by, "approved_at": now})
    updated = case.model_copy(
        update={"plan": approved, "status": CaseStatus.PLAN_APPROVED, "updated_by": by, "updated_at": now}
    )
    total = approved.total()
    summary = f"Plan approved: {total}" if total else "Plan approved"
    event = events.plan_approved(updated, approved, by, now.date())
    return Decision(updated, "ReintegrationPlanApproved", summary, event)


def reassign(case: Case, change: Reassignment, by: UUID, now: datetime) -> Decision:
    """A new caseworker and office for the case; no change, no event. Closed cases keep theirs."""
    _open(case)
    if (case.assigned_to, case.office) == (change.assigned_to, change.office):
        return Decision(case, "AssignmentUnchanged", "Assignment unchanged", None)
    updated = case.model_copy(
        update={
            "assigned_to": change.assigned_to,
            "office": change.office,
            "updated_by": by,
            "updated_at": now,
        }
    )
    # the id's last characters: a UUIDv7 begins with its timestamp, alike for people added together
    who = f"user {str(change.assigned_to)[-8:]}" if change.assigned_to else "nobody"
    summary = f"Assigned to {who}, office {change.office or 'none'}"
    return Decision(updated, "CaseAssigned", summary, events.case_assigned(updated, by))


def close(case: Case, closure: Closure, by: UUID, now: datetime) -> Decision:
    _open(case)
    record = ClosureRecord(reason=closure.reason, note=closure.note, closed_by=by, closed_at=now)
    updated = case.model_copy(
        update={"closure": record, "status": CaseStatus.CLOSED, "updated_by": by, "updated_at": now}
    )
    return Decision(
        updated, "CaseClosed", f"Case closed: {closure.reason}", events.case_closed(updated, record)
    )
