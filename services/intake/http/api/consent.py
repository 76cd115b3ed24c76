"""`/v1/cases/{id}/consent`: give or withdraw consent to share with partners, per category."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.intake import handlers
from services.intake.access import EDITORS
from services.intake.api.common import intake_of, json_body, json_of
from services.intake.case import Case
from services.intake.handlers import Intake
from services.intake.model import ConsentChange
from shared.http.auth import require_roles
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["consent"])


@router.post("/{case_id}/consent", response_model=Case, openapi_extra=json_body(ConsentChange))
async def change_consent(
    case_id: UUID,
    request: Request,
    user: Annotated[User, Depends(require_roles(*EDITORS))],
    intake: Annotated[Intake, Depends(intake_of)],
) -> Case:
    """Each category named is recorded with who recorded it and when; a change publishes
    ConsentChanged, an answer that is already on record changes nothing."""
    return await handlers.change_consent(intake, case_id, await json_of(request), user)
