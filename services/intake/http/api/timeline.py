"""`/v1/cases/{id}/timeline`: the case's own changes and what referral and grants reported."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from services.intake.core.permissions import READERS
from services.intake.core.timeline import TimelineEntry
from services.intake.http.deps import intake_context
from services.intake.use_cases import cases as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.privacy import Action

router = APIRouter(prefix="/v1/cases", tags=["timeline"], dependencies=[Depends(known_query_only)])


@router.get("/{case_id}/timeline", response_model=list[TimelineEntry])
async def read_timeline(
    case_id: UUID,
    user: Annotated[User, Depends(require_roles(*READERS))],
    intake: Annotated[IntakeContext, Depends(intake_context)],
) -> list[TimelineEntry]:
    """Oldest first. Summaries carry codes, ids and amounts only."""
    timeline = await use_cases.case_timeline(intake, case_id, user)
    await use_cases.record_reads(intake, user, Action.TIMELINE, [case_id])
    return timeline
