"""Grants in PostgreSQL: small queries the use cases compose in one transaction, returning
`Grant`s (core/grant.py). Each state change has its own statement, so no column name is ever built
from a caller's arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg

from services.grants.core.grant import Grant
from services.grants.core.rules import GrantStatus
from services.grants.core.schedule import Adjustment, GrantSchedule, PlannedInstallment
from shared.access_log import CaseIndex
from shared.db import Connection, Pool
from shared.money import Money

# each case's programme, for reading the access log within the reader's scope: grants know no
# assignment, so a reader limited to their office's or their own cases sees none of it (fails closed)
ACCESS_LOG_CASES = CaseIndex(
    "SELECT case_id, programme_id, NULL::uuid AS assigned_to, NULL::text AS office FROM grants"
)


def _grant(row: asyncpg.Record) -> Grant:
    currency = row["currency"]
    return Grant(
        id=row["id"],
        case_id=row["case_id"],
        plan_id=row["plan_id"],
        programme_id=row["programme_id"],
        status=GrantStatus(row["status"]),
        total=Money(amount=int(row["total"]), currency=currency),
        ceiling=Money(amount=int(row["ceiling"]), currency=currency),
        arrival_date=row["arrival_date"],
        approved_on=row["approved_on"],
        vulnerable=row["vulnerable"],
        adjustments=tuple(Adjustment.model_validate(a) for a in row["adjustments"]),
        correlation_id=row["correlation_id"],
        business_plan_verified_by=row["business_plan_verified_by"],
        business_plan_verified_at=row["business_plan_verified_at"],
        created_at=row["created_at"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        close_reason=row["close_reason"],
    )


async def has_grant_for_plan(connection: Connection, plan_id: UUID) -> bool:
    return bool(await connection.fetchval("SELECT EXISTS (SELECT 1 FROM grants WHERE plan_id = $1)", plan_id))


async def active_grants_of_case(connection: Connection, case_id: UUID) -> list[Grant]:
    rows = await connection.fetch(
        "SELECT * FROM grants WHERE case_id = $1 AND status <> 'closed' ORDER BY created_at", case_id
    )
    return [_grant(r) for r in rows]


async def grant(connection: Connection | Pool, grant_id: UUID, *, lock: bool = False) -> Grant | None:
    row = await connection.fetchrow(
        "SELECT * FROM grants WHERE id = $1" + (" FOR UPDATE" if lock else ""), grant_id
    )
    return _grant(row) if row is not None else None


async def insert_waiting_grant(
    connection: Connection,
    schedule: GrantSchedule,
    *,
    case_id: UUID,
    plan_id: UUID,
    arrival_date: date,
    approved_on: date,
    correlation_id: UUID,
) -> None:
    """The grant and its installments, as `awaiting_funding` / `scheduled`: opening it is a
    separate step that needs budget."""
    await connection.execute(
        "INSERT INTO grants (id, case_id, plan_id, programme_id, status, total, ceiling, currency,"
        " arrival_date, approved_on, vulnerable, adjustments, correlation_id)"
        " VALUES ($1, $2, $3, $4, 'awaiting_funding', $5, $6, $7, $8, $9, $10, $11, $12)",
        schedule.grant_id,
        case_id,
        plan_id,
        schedule.programme_id,
        schedule.total.amount,
        schedule.ceiling.amount,
        schedule.total.currency,
        arrival_date,
        approved_on,
        schedule.vulnerable,
        [a.model_dump(mode="json") for a in schedule.adjustments],
        correlation_id,
    )
    await insert_installments(connection, schedule.grant_id, schedule.installments)


async def insert_installments(
    connection: Connection, grant_id: UUID, installments: Sequence[PlannedInstallment]
) -> None:
    """New `scheduled` installments of a grant (its schedule; or an amendment's additions)."""
    await connection.executemany(
        "INSERT INTO installments (id, grant_id, sequence, assistance_type, paid_to, amount, currency,"
        " milestone, days_after_arrival, due_on, visit, min_composite, category, status)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'scheduled')",
        [
            (
                i.installment_id,
                grant_id,
                i.sequence,
                i.assistance_type.value,
                i.paid_to.value,
                i.amount.amount,
                i.amount.currency,
                i.milestone.value,
                i.days_after_arrival,
                i.due_on,
                i.visit,
                i.min_composite,
                i.category.value if i.category is not None else None,
            )
            for i in installments
        ],
    )


async def grant_for_plan(connection: Connection, plan_id: UUID) -> Grant | None:
    row = await connection.fetchrow("SELECT * FROM grants WHERE plan_id = $1", plan_id)
    return _grant(row) if row is not None else None


async def set_total(connection: Connection, grant_id: UUID, total: Money, ceiling: Money) -> None:
    """An amended plan's grant: its total (and the ceiling the amended household allows)."""
    await connection.execute(
        "UPDATE grants SET total = $2, ceiling = $3 WHERE id = $1", grant_id, total.amount, ceiling.amount
    )


async def waiting_grants(connection: Connection, programme_id: str) -> list[Grant]:
    """Grants of the programme awaiting funding, oldest first (the caller holds the programme lock)."""
    rows = await connection.fetch(
        "SELECT * FROM grants WHERE programme_id = $1 AND status = 'awaiting_funding'"
        " ORDER BY created_at, id",
        programme_id,
    )
    return [_grant(r) for r in rows]


async def mark_open(connection: Connection, grant_id: UUID) -> None:
    await connection.execute("UPDATE grants SET status = 'open', opened_at = now() WHERE id = $1", grant_id)


async def mark_closed(connection: Connection, grant_id: UUID, reason: str) -> None:
    await connection.execute(
        "UPDATE grants SET status = 'closed', closed_at = now(), close_reason = $2 WHERE id = $1",
        grant_id,
        reason,
    )


async def record_business_plan_verified(connection: Connection, grant_id: UUID, verified_by: str) -> None:
    await connection.execute(
        "UPDATE grants SET business_plan_verified_by = $2, business_plan_verified_at = now() WHERE id = $1",
        grant_id,
        verified_by,
    )


async def list_grants(
    pool: Pool,
    *,
    programmes: list[str] | None,
    programme_id: str | None,
    status: str | None,
    case_id: UUID | None,
    limit: int,
    offset: int,
) -> list[Grant]:
    """Grants within `programmes` (the reader's; None: every programme), oldest first."""
    rows = await pool.fetch(
        "SELECT * FROM grants WHERE ($1::text IS NULL OR programme_id = $1)"
        " AND ($2::text IS NULL OR status = $2)"
        " AND ($3::uuid IS NULL OR case_id = $3) AND ($6::text[] IS NULL OR programme_id = ANY($6::text[]))"
        " ORDER BY created_at, id LIMIT $4 OFFSET $5",
        programme_id,
        status,
        case_id,
        limit,
        offset,
        programmes,
    )
    return [_grant(r) for r in rows]
