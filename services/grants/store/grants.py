"""Grants and installments in PostgreSQL: small queries the flows compose in one transaction.

Lock order, kept by every flow so no two of them deadlock: programme row → grant row →
installment rows → the ledger chain head (taken by `ledger_store.append_posting`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from services.grants.core.policies import DonorPolicies
from services.grants.core.rules import GrantStatus, InstallmentStatus
from services.grants.core.schedule import GrantSchedule
from shared.db import Connection, Pool

Row = asyncpg.Record


async def sync_programmes(connection: Connection, policies: DonorPolicies) -> None:
    """Mirror the policy file's programmes (ledger lines and grants refer to them)."""
    await connection.executemany(
        "INSERT INTO programmes (id, name, currency) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE"
        " SET name = excluded.name, currency = excluded.currency, synced_at = now()",
        [(p.id, p.name, p.currency) for p in policies.programmes],
    )


async def lock_programme(connection: Connection, programme_id: str) -> None:
    # NO KEY UPDATE, not UPDATE: budget decisions still queue behind each other, but the foreign-key
    # check of a ledger insert (KEY SHARE on this row, taken while holding the chain head) does not
    # wait for it — with FOR UPDATE, a disbursement (chain head, then this row) and a grant opening
    # (this row, then the chain head) deadlocked, and the officer got a 500.
    await connection.execute("SELECT 1 FROM programmes WHERE id = $1 FOR NO KEY UPDATE", programme_id)


async def grant_for_plan(connection: Connection, plan_id: UUID) -> Row | None:
    return await connection.fetchrow("SELECT * FROM grants WHERE plan_id = $1", plan_id)


async def active_grants_of_case(connection: Connection, case_id: UUID) -> list[Row]:
    return list(
        await connection.fetch(
            "SELECT * FROM grants WHERE case_id = $1 AND status <> 'closed' ORDER BY created_at", case_id
        )
    )


async def grant(connection: Connection | Pool, grant_id: UUID, *, lock: bool = False) -> Row | None:
    return await connection.fetchrow(
        "SELECT * FROM grants WHERE id = $1" + (" FOR UPDATE" if lock else ""), grant_id
    )


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
    await connection.executemany(
        "INSERT INTO installments (id, grant_id, sequence, assistance_type, paid_to, amount, currency,"
        " milestone, days_after_arrival, due_on, status) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'scheduled')",
        [
            (
                i.installment_id,
                schedule.grant_id,
                i.sequence,
                i.assistance_type.value,
                i.paid_to.value,
                i.amount.amount,
                i.amount.currency,
                i.milestone.value,
                i.days_after_arrival,
                i.due_on,
            )
            for i in schedule.installments
        ],
    )


async def waiting_grants(connection: Connection, programme_id: str) -> list[Row]:
    """Grants of the programme awaiting funding, oldest first (the caller holds the programme lock)."""
    return list(
        await connection.fetch(
            "SELECT * FROM grants WHERE programme_id = $1 AND status = 'awaiting_funding'"
            " ORDER BY created_at, id",
            programme_id,
        )
    )


async def set_grant_status(connection: Connection, grant_id: UUID, status: GrantStatus, **extra: Any) -> None:
    stamp = {GrantStatus.OPEN: "opened_at", GrantStatus.CLOSED: "closed_at"}.get(status)
    assignments = ["status = $2", *([f"{stamp} = now()"] if stamp else [])]
    values: list[Any] = [grant_id, status.value]
    for column, value in extra.items():
        values.append(value)
        assignments.append(f"{column} = ${len(values)}")
    await connection.execute(f"UPDATE grants SET {', '.join(assignments)} WHERE id = $1", *values)


async def installments_of(connection: Connection | Pool, grant_id: UUID, *, lock: bool = False) -> list[Row]:
    return list(
        await connection.fetch(
            "SELECT * FROM installments WHERE grant_id = $1 ORDER BY sequence"
            + (" FOR UPDATE" if lock else ""),
            grant_id,
        )
    )


async def mark_due(connection: Connection, installment_ids: Sequence[UUID]) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'due', fell_due_at = now() WHERE id = ANY($1::uuid[])",
        list(installment_ids),
    )


async def cancel(connection: Connection, installment_ids: Sequence[UUID]) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'cancelled' WHERE id = ANY($1::uuid[])", list(installment_ids)
    )


INSTALLMENT_WITH_GRANT = (
    "SELECT i.*, g.case_id, g.programme_id, g.status AS grant_status, g.correlation_id"
    " FROM installments i JOIN grants g ON g.id = i.grant_id"
)


async def installment(
    connection: Connection | Pool, installment_id: UUID, *, lock: bool = False
) -> Row | None:
    """The installment with its grant's case, programme, status and correlation id."""
    return await connection.fetchrow(
        INSTALLMENT_WITH_GRANT + " WHERE i.id = $1" + (" FOR UPDATE OF i" if lock else ""), installment_id
    )


async def update_installment(
    connection: Connection, installment_id: UUID, status: InstallmentStatus, **columns: Any
) -> None:
    values: list[Any] = [installment_id, status.value]
    assignments = ["status = $2"]
    for column, value in columns.items():
        values.append(value)
        assignments.append(f"{column} = ${len(values)}")
    await connection.execute(f"UPDATE installments SET {', '.join(assignments)} WHERE id = $1", *values)


async def waiting_installments_due_by(connection: Connection, today: date, limit: int) -> list[Row]:
    """Installments of open grants whose days-after-arrival date has come, locked; rows another
    transaction holds are skipped (the next check takes them)."""
    return list(
        await connection.fetch(
            INSTALLMENT_WITH_GRANT + " WHERE i.status = 'scheduled' AND i.milestone = 'days_after_arrival'"
            " AND i.due_on <= $1 AND g.status = 'open' ORDER BY i.due_on, i.id LIMIT $2"
            " FOR UPDATE OF i SKIP LOCKED",
            today,
            limit,
        )
    )


async def list_grants(
    pool: Pool,
    *,
    programme_id: str | None,
    status: str | None,
    case_id: UUID | None,
    limit: int,
    offset: int,
) -> list[Row]:
    return list(
        await pool.fetch(
            "SELECT * FROM grants WHERE ($1::text IS NULL OR programme_id = $1)"
            " AND ($2::text IS NULL OR status = $2)"
            " AND ($3::uuid IS NULL OR case_id = $3) ORDER BY created_at, id LIMIT $4 OFFSET $5",
            programme_id,
            status,
            case_id,
            limit,
            offset,
        )
    )


async def list_installments(
    pool: Pool,
    *,
    grant_id: UUID | None,
    programme_id: str | None,
    status: str | None,
    milestone: str | None,
    due_by: date | None,
    limit: int,
    offset: int,
) -> list[Row]:
    return list(
        await pool.fetch(
            INSTALLMENT_WITH_GRANT + " WHERE ($1::uuid IS NULL OR i.grant_id = $1)"
            " AND ($2::text IS NULL OR g.programme_id = $2) AND ($3::text IS NULL OR i.status = $3)"
            " AND ($4::text IS NULL OR i.milestone = $4) AND ($5::date IS NULL OR i.due_on <= $5)"
            " ORDER BY g.created_at, i.grant_id, i.sequence LIMIT $6 OFFSET $7",
            grant_id,
            programme_id,
            status,
            milestone,
            due_by,
            limit,
            offset,
        )
    )


async def waiting_totals(connection: Connection | Pool) -> dict[str, tuple[int, int]]:
    """Per programme: (how many grants await funding, their total)."""
    rows = await connection.fetch(
        "SELECT programme_id, count(*) AS n, sum(total) AS total FROM grants"
        " WHERE status = 'awaiting_funding' GROUP BY programme_id"
    )
    return {r["programme_id"]: (int(r["n"]), int(r["total"])) for r in rows}
