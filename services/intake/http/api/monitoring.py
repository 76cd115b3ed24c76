"""Monitoring visits: `/v1/monitoring/survey` (what a visit asks), `/v1/monitoring/due` (the visits
due or overdue within the caseworker's scope) and `/v1/cases/{id}/monitoring-visits` (record one;
read a case's). Caseworkers and supervisors only: a visit's answers are personal data (how the
returnee lives and feels), read and written under the access log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from services.intake.core.monitoring import Survey
from services.intake.core.permissions import EDITORS
from services.intake.core.visits import DueVisit, MonitoringVisit, VisitReport
from services.intake.http.api.bodies import json_of
from services.intake.http.deps import intake_context
from services.intake.http.problems import CASE_STATE_CONFLICT
from services.intake.use_cases import monitoring as use_cases
from services.intake.use_cases.context import IntakeContext
from shared.events.codes import Dimension
from shared.http.auth import require_roles
from shared.http.openapi import documented_body
from shared.http.params import known_query_only
from shared.identity.model import User

router = APIRouter(tags=["monitoring"], dependencies=[Depends(known_query_only)])
Context = Annotated[IntakeContext, Depends(intake_context)]
Editor = Annotated[User, Depends(require_roles(*EDITORS))]


class VisitView(BaseModel):
    id: UUID
    case_id: UUID
    programme_id: str
    visit_number: int
    scheduled_month: int | None
    visited_on: date | None  # none once the case's personal data is erased (the month stays)
    visited_month: str
    survey: str
    answers: dict[str, str]
    indicator_scores: dict[str, float]
    dimension_scores: dict[Dimension, float]
    composite: float
    business_operating: bool | None
    in_municipality: bool
    re_migrated: bool
    recorded_by: UUID
    recorded_at: datetime

    @classmethod
    def of(cls, visit: MonitoringVisit) -> VisitView:
        return cls(**{name: getattr(visit, name) for name in cls.model_fields})


class DueVisitView(BaseModel):
    case_id: UUID
    programme_id: str
    visit_number: int
    month: int
    due_on: date
    overdue_from: date
    overdue: bool

    @classmethod
    def of(cls, visit: DueVisit, today: date) -> DueVisitView:
        return cls(
            case_id=visit.case_id,
            programme_id=visit.programme_id,
            visit_number=visit.visit_number,
            month=visit.month,
            due_on=visit.due_on,
            overdue_from=visit.overdue_from,
            overdue=visit.overdue(today),
        )


@router.get("/v1/monitoring/survey")
async def survey(intake: Context, _: Editor) -> Survey:
    """The reintegration sustainability survey a visit answers: each indicator's answer codes, from
    the worst to the best, with their scores and weights (deploy/config/monitoring.yaml)."""
    return use_cases.survey_of(intake)


@router.get("/v1/monitoring/due")
async def due(
    intake: Context,
    user: Editor,
    programme: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[DueVisitView]:
    """The next visit of each open case in your scope that is due (its window has opened) or
    overdue, earliest first. A case whose returnee re-migrated has none."""
    found = await use_cases.visits_due(intake, user, programme=programme, limit=limit)
    return [DueVisitView.of(v, found.today) for v in found.visits]


@router.post(
    "/v1/cases/{case_id}/monitoring-visits",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=documented_body(VisitReport),
    responses=CASE_STATE_CONFLICT,
)
async def record_visit(case_id: UUID, request: Request, intake: Context, user: Editor) -> VisitView:
    """Record a visit: an answer code for every indicator of the survey, and what was found.
    Publishes MonitoringVisitRecorded (codes and scores, no free text)."""
    return VisitView.of(await use_cases.record_visit(intake, case_id, await json_of(request), user))


@router.get("/v1/cases/{case_id}/monitoring-visits")
async def case_visits(case_id: UUID, intake: Context, user: Editor) -> list[VisitView]:
    """The case's visits, oldest first."""
    return [VisitView.of(v) for v in await use_cases.case_visits(intake, case_id, user)]
