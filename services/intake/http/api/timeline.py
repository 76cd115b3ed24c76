"""`/v1/cases/{id}/timeline`: the case's own changes and what referral and grants reported."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from services.intake import handlers
from services.intake.access import READERS
from services.intake.access_log import AccessLog
from services.intake.api.common import intake_of
from services.intake.handlers import Intake
from services.intake.timeline import TimelineEntry
from shared.http.auth import require_roles
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["timeline"])


@router.get("/{case_id}/timeline", response_model=list[TimelineEntry])
async def read_timeline(
    case_id: UUID,
    user: Annotated[User, Depends(require_roles(*READERS))],
    intake: Annotated[Intake, Depends(intake_of)],
) -> list[TimelineEntry]:
    """Oldest first. Summaries carry codes, ids and amounts only."""
    timeline = await handlers.case_timeline(intake, case_id, user)
    await AccessLog(intake.pool).record(user.id, "timeline", [case_id])
    return timeline
