"""What a case achieved, as grants consumed it (`case_outcomes`): monitoring visits and completed
referrals, codes and scores only. Rows are only ever added, one per consumed event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.grants.core.outcomes import CaseOutcomes, VisitOutcome
from shared.db import Connection
from shared.events.codes import Category


async def add_visit(
    connection: Connection,
    event_id: UUID,
    case_id: UUID,
    occurred_at: datetime,
    visit: VisitOutcome,
) -> None:
    await connection.execute(
        "INSERT INTO case_outcomes (event_id, case_id, kind, visit_number, composite, business_operating,"
        " re_migrated, occurred_at) VALUES ($1, $2, 'monitoring_visit', $3, $4, $5, $6, $7)"
        " ON CONFLICT (event_id) DO NOTHING",
        event_id,
        case_id,
        visit.visit_number,
        visit.composite,
        visit.business_operating,
        visit.re_migrated,
        occurred_at,
    )


async def add_completed_referral(
    connection: Connection, event_id: UUID, case_id: UUID, occurred_at: datetime, category: Category
) -> None:
    await connection.execute(
        "INSERT INTO case_outcomes (event_id, case_id, kind, category, occurred_at)"
        " VALUES ($1, $2, 'referral_completed', $3, $4) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        case_id,
        category.value,
        occurred_at,
    )


async def outcomes_of(connection: Connection, case_id: UUID) -> CaseOutcomes:
    rows = await connection.fetch(
        "SELECT kind, visit_number, composite, business_operating, re_migrated, category"
        " FROM case_outcomes WHERE case_id = $1 ORDER BY occurred_at, event_id",
        case_id,
    )
    visits = tuple(
        VisitOutcome(
            visit_number=r["visit_number"],
            composite=r["composite"],
            business_operating=r["business_operating"],
            re_migrated=r["re_migrated"],
        )
        for r in rows
        if r["kind"] == "monitoring_visit"
    )
    completed = frozenset(Category(r["category"]) for r in rows if r["kind"] == "referral_completed")
    return CaseOutcomes(visits=visits, completed=completed)
