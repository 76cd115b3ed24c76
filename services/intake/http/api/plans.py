"""`/v1/cases/{id}/plan`: caseworkers propose the reintegration plan, supervisors approve it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake import handlers
from services.intake.access import APPROVERS, EDITORS
from services.intake.api.common import intake_of, json_body, json_of
from services.intake.case import Case
from services.intake.handlers import Intake
from services.intake.model import PlanApproval, PlanProposal
from shared.http.auth import require_roles
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["plans"])
Context = Annotated[Intake, Depends(intake_of)]


@router.post("/{case_id}/plan", response_model=Case, openapi_extra=json_body(PlanProposal))
async def propose_plan(
    case_id: UUID, request: Request, user: Annotated[User, Depends(require_roles(*EDITORS))], intake: Context
) -> Case:
    """Propose (or, until it is approved, replace) the plan: assistance types and the amounts
    requested, in integer minor units of the programme's currency."""
    return await handlers.propose_plan(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/plan/approve", response_model=Case, openapi_extra=json_body(PlanApproval, required=False)
)
async def approve_plan(
    case_id: UUID,
    request: Request,
    user: Annotated[User, Depends(require_roles(*APPROVERS))],
    intake: Context,
) -> Case:
    """Supervisors only. Publishes ReintegrationPlanApproved, from which grants sizes the grant."""
    return await handlers.approve_plan(intake, case_id, await json_of(request), user)
