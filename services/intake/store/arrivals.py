"""Announced returns: the expected cases by scheduled arrival (the reception page, the
missed-arrivals job), and the latest status of each case's reception and transport referrals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.intake.core.case import Case
from shared.db import Connection, Pool
from shared.events.codes import Category, ReferralStatus


async def expected_between(connection: Connection | Pool, start: datetime, end: datetime) -> list[Case]:
    """Expected cases whose scheduled arrival is in [start, end), earliest first."""
    rows = await connection.fetch(
        "SELECT document FROM cases WHERE expected_at >= $1 AND expected_at < $2 AND erased_at IS NULL"
        " ORDER BY expected_at, id",
        start,
        end,
    )
    return [Case.model_validate(row["document"]) for row in rows]


async def overdue_arrivals(connection: Connection | Pool, before: datetime, limit: int) -> list[UUID]:
    """Expected cases scheduled to arrive before `before` (the grace period is the caller's)."""
    rows = await connection.fetch(
        "SELECT id FROM cases WHERE expected_at < $1 AND erased_at IS NULL ORDER BY expected_at, id LIMIT $2",
        before,
        limit,
    )
    return [row["id"] for row in rows]


async def record_service_status(
    connection: Connection, case_id: UUID, category: Category, status: ReferralStatus, at: datetime
) -> None:
    """The referral's newest status wins (events of one case arrive in order, but a redelivered
    older one must not undo a newer)."""
    await connection.execute(
        "INSERT INTO arrival_services (case_id, category, status, changed_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (case_id, category) DO UPDATE SET status = excluded.status,"
        " changed_at = excluded.changed_at WHERE arrival_services.changed_at <= excluded.changed_at",
        case_id,
        category.value,
        status.value,
        at,
    )


async def service_statuses(
    connection: Connection | Pool, case_ids: Sequence[UUID]
) -> dict[UUID, dict[Category, ReferralStatus]]:
    rows = await connection.fetch(
        "SELECT case_id, category, status FROM arrival_services WHERE case_id = ANY($1::uuid[])",
        list(case_ids),
    )
    out: dict[UUID, dict[Category, ReferralStatus]] = {}
    for row in rows:
        out.setdefault(row["case_id"], {})[Category(row["category"])] = ReferralStatus(row["status"])
    return out
