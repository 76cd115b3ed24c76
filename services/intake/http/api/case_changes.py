"""`/v1/cases/{id}/household`, `/contact`, `/reopen` and `/plan/amendment`: cases change as lives
do (issue 15)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake.core.case import Case
from services.intake.core.change_requests import (
    AmendmentApproval,
    ContactChange,
    HouseholdEdit,
    ReopeningRequest,
)
from services.intake.core.permissions import APPROVERS, EDITORS
from services.intake.core.requests import PlanProposal
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import case_changes as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[Depends(known_query_only)])

Editor = Annotated[User, Depends(require_roles(*EDITORS))]
Supervisor = Annotated[User, Depends(require_roles(*APPROVERS))]
Context = Annotated[IntakeContext, Depends(intake_context)]


@router.post(
    "/{case_id}/household",
    response_model=Case,
    openapi_extra=documented_body(HouseholdEdit),
    responses=CASE_STATE_CONFLICT,
)
async def edit_household(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    """The household as it is now, in the order it is to be listed: a member already in it names
    their current position (`was`), someone new leaves it out, a member no entry names is removed.
    Publishes HouseholdChanged (ages, sex, relationships — never a name, date of birth or
    document), from which referral issues what it issues from now on; a grant already approved is
    not resized (an amendment of the plan does that).

    Rules beyond this schema, answered with 422: each `was` names a current member once; the
    household has exactly one principal, at most one spouse, children younger and parents older
    than the principal, nobody listed twice; the case's vulnerabilities must still fit it. 409
    before the arrival (reception confirms who travelled) and on a closed or ended case."""
    return await use_cases.edit_household(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/contact",
    response_model=Case,
    openapi_extra=documented_body(ContactChange),
    responses=CASE_STATE_CONFLICT,
)
async def change_contact(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    """The returnee's phone number and address (one left out is cleared). They stay in intake:
    no event carries them and no partner's payload declares a contact; the case's history says
    that they changed, not what they are."""
    return await use_cases.change_contact(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/reopen",
    response_model=Case,
    openapi_extra=documented_body(ReopeningRequest),
    responses=CASE_STATE_CONFLICT,
)
async def reopen_case(case_id: UUID, request: Request, user: Supervisor, intake: Context) -> Case:
    """Supervisors only: a closed case opens again, with the reason (CaseReopened). What the
    closure ended stays ended: referral issues nothing until the next assessment; grants does not
    revive the closed grant — the approved plan is set aside (`earlier_plans`) and a new plan must
    be proposed and approved. 409 on a case that is not closed, or was merged into another."""
    return await use_cases.reopen_case(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/plan/amendment",
    response_model=Case,
    openapi_extra=documented_body(PlanProposal),
    responses=CASE_STATE_CONFLICT,
)
async def propose_amendment(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    """Amend the approved plan: its lines as they should be now, whole (a type left out is no
    longer funded). It waits (`amendment`) for a supervisor who did not propose it; until then the
    approved plan stands. Rules beyond this schema, answered with 422: each assistance type once,
    every amount in the programme's currency. 409 unless the case's plan is approved and the case
    open, or when the amendment is the plan as it stands."""
    return await use_cases.propose_amendment(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/plan/amendment/approve",
    response_model=Case,
    openapi_extra=documented_body(AmendmentApproval, required=False),
    responses=CASE_STATE_CONFLICT,
)
async def approve_amendment(case_id: UUID, request: Request, user: Supervisor, intake: Context) -> Case:
    """Supervisors only, and not the one who proposed the amendment (409). Publishes
    ReintegrationPlanAmended: grants cancels the changed types' installments still waiting for
    their milestone (releasing their budget) and schedules each type's new amount, less what is
    already due or paid (committing it), in balanced ledger transactions."""
    return await use_cases.approve_amendment(intake, case_id, await json_of(request), user)
