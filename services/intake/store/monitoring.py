"""Monitoring visits in PostgreSQL (`monitoring_visits`), and the open cases whose next visit may
be due. Returns typed objects (core/visits.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from services.intake.core.visits import MonitoringVisit
from shared.db import Connection, Pool
from shared.events.codes import Dimension
from shared.identity.model import CaseLimit


def _json(value: object) -> dict[str, object]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded) if isinstance(loaded, dict) else {}


def _visit(row: asyncpg.Record) -> MonitoringVisit:
    return MonitoringVisit(
        id=row["id"],
        case_id=row["case_id"],
        programme_id=row["programme_id"],
        visit_number=row["visit_number"],
        scheduled_month=row["scheduled_month"],
        visited_on=row["visited_on"],
        visited_month=row["visited_month"],
        survey=row["survey"],
        answers={k: str(v) for k, v in _json(row["answers"]).items()},
        indicator_scores={k: float(str(v)) for k, v in _json(row["indicator_scores"]).items()},
        dimension_scores={Dimension(k): float(str(v)) for k, v in _json(row["dimension_scores"]).items()},
        composite=row["composite"],
        business_operating=row["business_operating"],
        in_municipality=row["in_municipality"],
        re_migrated=row["re_migrated"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )


async def insert_visit(connection: Connection, visit: MonitoringVisit, event_id: UUID) -> None:
    await connection.execute(
        "INSERT INTO monitoring_visits (id, case_id, programme_id, visit_number, scheduled_month,"
        " visited_on, visited_month, survey, answers, indicator_scores, dimension_scores, composite,"
        " business_operating, in_municipality, re_migrated, recorded_by, recorded_at, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        visit.id,
        visit.case_id,
        visit.programme_id,
        visit.visit_number,
        visit.scheduled_month,
        visit.visited_on,
        visit.visited_month,
        visit.survey,
        visit.answers,
        visit.indicator_scores,
        {d.value: s for d, s in visit.dimension_scores.items()},
        visit.composite,
        visit.business_operating,
        visit.in_municipality,
        visit.re_migrated,
        visit.recorded_by,
        visit.recorded_at,
        event_id,
    )


async def visits_of(connection: Connection | Pool, case_id: UUID) -> list[MonitoringVisit]:
    rows = await connection.fetch(
        "SELECT * FROM monitoring_visits WHERE case_id = $1 ORDER BY visit_number", case_id
    )
    return [_visit(r) for r in rows]


async def erase_visit_days(connection: Connection, case_id: UUID) -> None:
    """The case is erased: its visits keep their month, codes and scores, not their day."""
    await connection.execute("UPDATE monitoring_visits SET visited_on = NULL WHERE case_id = $1", case_id)


@dataclass(frozen=True)
class MonitoredCase:
    """An open case, as the list of visits due needs it."""

    case_id: UUID
    programme_id: str
    arrival_date: date
    visits: int
    re_migrated: bool


async def open_cases(
    pool: Pool, *, programmes: list[str] | None, case_limit: CaseLimit, programme: str | None
) -> list[MonitoredCase]:
    """Cases neither closed nor erased within the reader's programmes (None: every programme; an
    empty list: none — fails closed) and case limit, with how many visits they have had."""
    rows = await pool.fetch(
        "SELECT c.id, c.programme_id, (c.document ->> 'arrival_date')::date AS arrival_date,"
        " count(v.id) AS visits, coalesce(bool_or(v.re_migrated), false) AS re_migrated"
        " FROM cases c LEFT JOIN monitoring_visits v ON v.case_id = c.id"
        " WHERE c.status <> 'closed' AND c.erased_at IS NULL"
        " AND ($1::text[] IS NULL OR c.programme_id = ANY($1::text[]))"
        " AND ($2::text IS NULL OR c.programme_id = $2)"
        " AND ($3::uuid IS NULL OR c.assigned_to = $3) AND ($4::text IS NULL OR c.office = $4) AND NOT $5"
        " GROUP BY c.id ORDER BY c.id",
        programmes,
        programme,
        case_limit.assigned_to,
        case_limit.office,
        case_limit.matches_nothing,
    )
    return [
        MonitoredCase(r["id"], r["programme_id"], r["arrival_date"], r["visits"], r["re_migrated"])
        for r in rows
    ]
