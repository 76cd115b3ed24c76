"""`/v1/cases/{id}/assignment`: supervisors give a case to another caseworker and/or office."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake.core.case import Case
from services.intake.core.permissions import APPROVERS
from services.intake.core.requests import Reassignment
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.identity.store import IdentityStore

router = APIRouter(prefix="/v1/cases", tags=["cases"], dependencies=[Depends(known_query_only)])


@router.post(
    "/{case_id}/assignment",
    response_model=Case,
    openapi_extra=documented_body(Reassignment),
    responses=CASE_STATE_CONFLICT,
)
async def reassign_case(
    case_id: UUID,
    request: Request,
    user: Annotated[User, Depends(require_roles(*APPROVERS))],
    intake: Annotated[IntakeContext, Depends(intake_context)],
) -> Case:
    """Supervisors only. The case's caseworker and office from now on (recorded in the case's
    history; CaseAssigned tells referral). Users limited to their own or their office's cases see
    it by these. A rule beyond this schema, answered with 422: `assigned_to` is an active
    caseworker or supervisor of the case's programme."""
    store: IdentityStore = request.app.state.identity
    return await use_cases.reassign_case(intake, case_id, await json_of(request), user, store.active_user)
