"""`/v1/cases/{id}/duplicates`, `/distinct` and `/merge`: who is likely someone in the case (score
and reasons), a caseworker's "different person", and an announcement merged into the case.
Caseworkers and supervisors only: the reasons speak of names and dates of birth."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from services.intake.core.case import Case
from services.intake.core.errors import LikelyDuplicate
from services.intake.core.permissions import EDITORS
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import duplicates as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User

router = APIRouter(prefix="/v1/cases", tags=["duplicates"], dependencies=[Depends(known_query_only)])

Editor = Annotated[User, Depends(require_roles(*EDITORS))]
Context = Annotated[IntakeContext, Depends(intake_context)]


class Candidate(BaseModel):
    model_config = ConfigDict(frozen=True)
    member: int
    case_id: UUID | None  # null: a case the user may not see
    case_member: int | None
    score: float
    reasons: list[str]

    @classmethod
    def of(cls, match: LikelyDuplicate) -> Candidate:
        return cls(
            member=match.member,
            case_id=match.case_id,
            case_member=match.case_member,
            score=match.score,
            reasons=list(match.reasons),
        )


class Duplicates(BaseModel):
    case_id: UUID
    candidates: list[Candidate]


class DistinctPair(BaseModel):
    other_case_id: UUID
    recorded_by: UUID
    recorded_at: datetime


class DistinctPeople(BaseModel):
    case_id: UUID
    distinct_from: list[DistinctPair]


@router.get("/{case_id}/duplicates", response_model=Duplicates)
async def case_duplicates(case_id: UUID, user: Editor, intake: Context) -> Duplicates:
    """People in other cases who are likely someone in this one, best first, each with a score in
    [0, 1] and the reasons (same document number, name in another script, day and month swapped…).
    Pairs recorded as different people are left out; a case the user may not see is listed
    without its id."""
    found = await use_cases.duplicates_of_case(intake, case_id, user)
    return Duplicates(case_id=found.case_id, candidates=[Candidate.of(m) for m in found.candidates])


@router.post(
    "/{case_id}/distinct",
    response_model=DistinctPeople,
    openapi_extra=documented_body(use_cases.DistinctPerson),
)
async def confirm_distinct(case_id: UUID, request: Request, user: Editor, intake: Context) -> DistinctPeople:
    """The people of this case are not those of `other_case_id` (recorded with who and when; the
    pair is not raised again). Answers every pair recorded for the case."""
    pairs = await use_cases.confirm_distinct(intake, case_id, await json_of(request), user)
    return DistinctPeople(
        case_id=case_id,
        distinct_from=[
            DistinctPair(other_case_id=p.other_case_id, recorded_by=p.recorded_by, recorded_at=p.recorded_at)
            for p in pairs
        ],
    )


@router.post(
    "/{case_id}/merge",
    response_model=Case,
    openapi_extra=documented_body(use_cases.AnnouncementMerge),
    responses=CASE_STATE_CONFLICT,
)
async def merge_announcement(case_id: UUID, request: Request, user: Editor, intake: Context) -> Case:
    """The announcement `announcement_id` (or a registration of the same family nobody has assessed
    yet) is this case's family: its expected-arrival facts join this case, it is closed pointing
    here (`merged_into`), AnnouncementMerged and its CaseClosed are published. Answered with 409
    when the announcement was worked on, the case is closed, or nobody in the announcement is
    likely someone in the case."""
    return await use_cases.merge_announcement(intake, case_id, await json_of(request), user)
