"""`/v1/cases/{id}/consent`: give or withdraw consent to share with partners, per category."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake.core.case import Case
from services.intake.core.permissions import EDITORS
from services.intake.core.requests import ConsentChange
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["consent"], dependencies=[Depends(known_query_only)])


@router.post(
    "/{case_id}/consent",
    response_model=Case,
    openapi_extra=documented_body(ConsentChange),
    responses=CASE_STATE_CONFLICT,
)
async def change_consent(
    case_id: UUID,
    request: Request,
    user: Annotated[User, Depends(require_roles(*EDITORS))],
    intake: Annotated[IntakeContext, Depends(intake_context)],
) -> Case:
    """Each category named is recorded with who recorded it and when; a change publishes
    ConsentChanged, an answer that is already on record changes nothing."""
    return await use_cases.change_consent(intake, case_id, await json_of(request), user)
