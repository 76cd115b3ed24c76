"""`/v1/cases/{id}/plan`: caseworkers propose the reintegration plan, supervisors approve it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake.core.case import Case
from services.intake.core.permissions import APPROVERS, EDITORS
from services.intake.core.requests import PlanApproval, PlanProposal
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["plans"], dependencies=[Depends(known_query_only)])
Context = Annotated[IntakeContext, Depends(intake_context)]


@router.post(
    "/{case_id}/plan",
    response_model=Case,
    openapi_extra=documented_body(PlanProposal),
    responses=CASE_STATE_CONFLICT,
)
async def propose_plan(
    case_id: UUID, request: Request, user: Annotated[User, Depends(require_roles(*EDITORS))], intake: Context
) -> Case:
    """Propose (or, until it is approved, replace) the plan: assistance types and the amounts
    requested, in integer minor units of the programme's currency.

    Rules beyond this schema, answered with 422: each assistance type appears once, and every
    amount is in the currency of the case's programme."""
    return await use_cases.propose_plan(intake, case_id, await json_of(request), user)


@router.post(
    "/{case_id}/plan/approve",
    response_model=Case,
    openapi_extra=documented_body(PlanApproval, required=False),
    responses=CASE_STATE_CONFLICT,
)
async def approve_plan(
    case_id: UUID,
    request: Request,
    user: Annotated[User, Depends(require_roles(*APPROVERS))],
    intake: Context,
) -> Case:
    """Supervisors only. Publishes ReintegrationPlanApproved, from which grants sizes the grant."""
    return await use_cases.approve_plan(intake, case_id, await json_of(request), user)
