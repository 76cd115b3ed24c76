"""Monitoring visits: recording one (its survey scored by the pure core, the visit, its history
line, MonitoringVisitRecorded's outbox row and the access log's row in ONE transaction), reading a
case's visits, and the visits due or overdue within the reader's scope. Every read is recorded in
the access log before its answer leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import structlog

from services.intake.core.case import CaseStatus
from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.monitoring import Survey, answer_problems, score
from services.intake.core.validation import Invalid, Problem, check
from services.intake.core.visits import DueVisit, MonitoringVisit, VisitReport, next_visit, scheduled_month
from services.intake.store import cases as store
from services.intake.store import monitoring as monitoring_store
from services.intake.store import timeline
from shared import access_log, outbox
from shared.db import transaction
from shared.events import new_envelope, uuid7
from shared.events.intake import MonitoringVisitRecorded
from shared.identity.model import User
from shared.privacy import Action, Actor

from .cases import get_case, record_reads, visible_to
from .context import IntakeContext
from .recording import PRODUCER

log = structlog.get_logger("intake.monitoring")


def survey_of(context: IntakeContext) -> Survey:
    survey = context.catalogue.survey
    if survey is None:  # load_catalogue always reads it; only a hand-built catalogue lacks one
        raise RuntimeError("no monitoring survey in the catalogue (deploy/config/monitoring.yaml)")
    return survey


def _answer_problems(survey: Survey, report: VisitReport) -> list[Problem]:
    return [Problem(("answers", code), message) for code, message in answer_problems(survey, report.answers)]


def _summary(visit: MonitoringVisit) -> str:
    """The case history's line: the visit's number, month and scores, as codes and figures."""
    month = f" (month {visit.scheduled_month})" if visit.scheduled_month else ""
    found = [
        "re-migrated" if visit.re_migrated else ("in the municipality" if visit.in_municipality else "moved"),
    ]
    if visit.business_operating is not None:
        found.append("business operating" if visit.business_operating else "business not operating")
    return (
        f"Monitoring visit {visit.visit_number}{month}: composite {visit.composite:.2f}; {', '.join(found)}"
    )


def _event(visit: MonitoringVisit) -> MonitoringVisitRecorded:
    return MonitoringVisitRecorded(
        case_id=visit.case_id,
        programme_id=visit.programme_id,
        visit_id=visit.id,
        visit_number=visit.visit_number,
        scheduled_month=visit.scheduled_month,
        visited_on=visit.visited_on or date.fromisoformat(visit.visited_month + "-01"),
        survey=visit.survey,
        answers=visit.answers,
        indicator_scores={k: round(v, 4) for k, v in visit.indicator_scores.items()},
        dimension_scores={d: round(v, 4) for d, v in visit.dimension_scores.items()},
        composite=round(visit.composite, 4),
        business_operating=visit.business_operating,
        in_municipality=visit.in_municipality,
        re_migrated=visit.re_migrated,
        recorded_by=str(visit.recorded_by),
    )


async def record_visit(context: IntakeContext, case_id: UUID, data: Any, user: User) -> MonitoringVisit:
    """422 naming every bad field (an answer missing or not the survey's, a visit in the future or
    before the arrival); 404 for a case the user may not see; 409 for a closed or erased case."""
    now = context.clock()
    survey = survey_of(context)
    report = check(VisitReport, data, context.checks(now), lambda r: _answer_problems(survey, r))
    async with transaction(context.pool) as connection:
        case = await store.load_case(connection, case_id, for_update=True)
        if case is None:
            if visible_to(await store.read_case(connection, case_id), user):
                raise CaseConflict("the case's personal data was erased: it cannot change any more")
            raise CaseNotFound(str(case_id))
        if not visible_to(case, user):
            raise CaseNotFound(str(case_id))
        if case.status is CaseStatus.CLOSED:
            raise CaseConflict("the case is closed: no visit can be recorded on it")
        if report.visited_on < case.arrival_date:
            raise Invalid([Problem(("visited_on",), "the visit cannot be before the arrival")])
        number = len(await monitoring_store.visits_of(connection, case_id)) + 1
        programme = context.catalogue.programmes.get(case.programme_id)
        scores = score(survey, report.answers)
        visit = MonitoringVisit(
            id=uuid7(),
            case_id=case_id,
            programme_id=case.programme_id,
            visit_number=number,
            scheduled_month=scheduled_month(programme.monitoring if programme else None, number),
            visited_on=report.visited_on,
            visited_month=report.visited_on.strftime("%Y-%m"),
            survey=survey.survey,
            answers=dict(report.answers),
            indicator_scores=scores.indicators,
            dimension_scores=scores.dimensions,
            composite=scores.composite,
            business_operating=report.business_operating,
            in_municipality=report.in_municipality,
            re_migrated=report.re_migrated,
            recorded_by=user.id,
            recorded_at=now,
        )
        envelope = new_envelope(_event(visit), key=case_id, producer=PRODUCER)
        await monitoring_store.insert_visit(connection, visit, envelope.event_id)
        await outbox.append(connection, context.topics.returnees, envelope)
        await timeline.record_line(
            connection, case_id, now, "MonitoringVisitRecorded", _summary(visit), user.id, envelope.event_id
        )
        await access_log.record(connection, Actor.of(user), Action.MONITOR, [case_id])
    log.info("monitoring visit recorded", case_id=str(case_id), visit=number, event_id=str(envelope.event_id))
    return visit


async def case_visits(context: IntakeContext, case_id: UUID, user: User) -> list[MonitoringVisit]:
    """The case's visits, oldest first; CaseNotFound for a case the user may not see."""
    await get_case(context, case_id, user)
    visits = await monitoring_store.visits_of(context.pool, case_id)
    await record_reads(context, user, Action.READ, [case_id])
    return visits


@dataclass(frozen=True)
class DueVisits:
    today: date
    visits: list[DueVisit]


async def visits_due(
    context: IntakeContext, user: User, *, programme: str | None = None, limit: int = 500
) -> DueVisits:
    """The next visit of every open case within the user's scope that is due or overdue today,
    most overdue first; a case whose returnee re-migrated has none."""
    today = context.clock().date()
    cases = await monitoring_store.open_cases(
        context.pool, programmes=user.programme_scope(), case_limit=user.case_limit(), programme=programme
    )
    due: list[DueVisit] = []
    for case in cases:
        found = context.catalogue.programmes.get(case.programme_id)
        if found is None or found.monitoring is None or case.re_migrated or case.arrival_date is None:
            continue
        visit = next_visit(
            case.case_id, case.programme_id, case.arrival_date, found.monitoring, case.visits, today
        )
        if visit is not None:
            due.append(visit)
    due.sort(key=lambda v: (v.due_on, str(v.case_id)))
    listed = due[:limit]
    await record_reads(context, user, Action.LIST, [v.case_id for v in listed])
    return DueVisits(today, listed)
