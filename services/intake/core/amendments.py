"""Amending an approved plan (issue 15, point 2): a caseworker proposes the plan's lines as they
should be now, a supervisor who did not propose the amendment approves it, and grants adjusts the
grant from ReintegrationPlanAmended. Pure decisions, as in `decisions.py`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.intake.core import events
from services.intake.core.case import Case, CaseStatus, PlanAmendment, PlanStatus
from services.intake.core.decisions import Decision
from services.intake.core.errors import CaseConflict, DutiesNotSeparated
from services.intake.core.requests import PlanProposal


def _lines(amendment: PlanAmendment | PlanProposal) -> str:
    return ", ".join(f"{a.assistance_type} {a.requested}" for a in amendment.assistance) or "nothing"


def propose_amendment(
    case: Case, proposal: PlanProposal, amendment_id: UUID, by: UUID, now: datetime
) -> Decision:
    """The plan as it should be now, whole. It replaces an amendment still waiting for approval;
    the approved plan stands until a supervisor approves it. No event: nothing changed yet."""
    plan = case.plan
    if case.status is not CaseStatus.PLAN_APPROVED or plan is None or plan.status is not PlanStatus.APPROVED:
        raise CaseConflict("only an approved plan of an open case can be amended")
    if sorted(plan.assistance, key=lambda a: a.assistance_type) == sorted(
        proposal.assistance, key=lambda a: a.assistance_type
    ):
        raise CaseConflict("the amendment is the plan as it stands: nothing to amend")
    amendment = PlanAmendment(
        id=amendment_id,
        status=PlanStatus.PROPOSED,
        assistance=proposal.assistance,
        previous=plan.assistance,
        note=proposal.note,
        proposed_by=by,
        proposed_at=now,
    )
    updated = case.model_copy(update={"amendment": amendment, "updated_by": by, "updated_at": now})
    return Decision(updated, "PlanAmendmentProposed", f"Plan amendment proposed: {_lines(proposal)}", None)


def approve_amendment(case: Case, amendment_id: UUID | None, by: UUID, now: datetime) -> Decision:
    """Separation of duties as for plans: the proposer may not approve. The plan's lines become
    the amendment's; ReintegrationPlanAmended tells grants."""
    amendment, plan = case.amendment, case.plan
    if case.status is not CaseStatus.PLAN_APPROVED or plan is None or amendment is None:
        raise CaseConflict("the case has no amendment to approve")
    if amendment_id is not None and amendment_id != amendment.id:
        raise CaseConflict(f"amendment {amendment_id} is not the case's pending amendment ({amendment.id})")
    if amendment.proposed_by == by:
        raise DutiesNotSeparated("you proposed this amendment: another supervisor must approve it")
    approved = amendment.model_copy(
        update={"status": PlanStatus.APPROVED, "approved_by": by, "approved_at": now}
    )
    amended = plan.model_copy(
        update={"assistance": approved.assistance, "amendments": [*plan.amendments, approved]}
    )
    updated = case.model_copy(
        update={"plan": amended, "amendment": None, "updated_by": by, "updated_at": now}
    )
    summary = f"Plan amendment approved: {_lines(approved)}"
    return Decision(
        updated,
        "ReintegrationPlanAmended",
        summary,
        events.plan_amended(updated, amended, approved, now.date()),
    )
