"""Installments in PostgreSQL, each read with what it needs of its grant (case, programme, status,
correlation id) as an `Installment` (core/grant.py). Each state change has its own statement, so no
column name is ever built from a caller's arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.grants.core.grant import Installment
from services.grants.core.policies import PaidTo
from services.grants.core.rules import GrantStatus, InstallmentStatus, Payment
from shared.db import Connection, Pool
from shared.events.codes import AssistanceType, CancellationReason, Category, DisbursementMethod, Milestone
from shared.money import Money


def _installment(row: asyncpg.Record) -> Installment:
    method = row["method"]
    return Installment(
        id=row["id"],
        grant_id=row["grant_id"],
        case_id=row["case_id"],
        programme_id=row["programme_id"],
        grant_status=GrantStatus(row["grant_status"]),
        correlation_id=row["correlation_id"],
        sequence=row["sequence"],
        assistance_type=AssistanceType(row["assistance_type"]),
        paid_to=PaidTo(row["paid_to"]),
        amount=Money(amount=int(row["amount"]), currency=row["currency"]),
        milestone=Milestone(row["milestone"]),
        days_after_arrival=row["days_after_arrival"],
        due_on=row["due_on"],
        status=InstallmentStatus(row["status"]),
        fell_due_at=row["fell_due_at"],
        approved_by=row["approved_by"],
        approved_by_id=row["approved_by_id"],
        approved_at=row["approved_at"],
        disbursed_by=row["disbursed_by"],
        disbursed_by_id=row["disbursed_by_id"],
        disbursed_at=row["disbursed_at"],
        method=DisbursementMethod(method) if method is not None else None,
        supplier=row["supplier"],
        invoice_number=row["invoice_number"],
        payment_reference=row["payment_reference"],
        disbursement_transaction=row["disbursement_transaction"],
        failure_reason=row["failure_reason"],
        failed_at=row["failed_at"],
        attempts=row["attempts"],
        visit=row["visit"],
        min_composite=row["min_composite"],
        category=Category(row["category"]) if row["category"] is not None else None,
    )


INSTALLMENT_WITH_GRANT = (
    "SELECT i.*, g.case_id, g.programme_id, g.status AS grant_status, g.correlation_id"
    " FROM installments i JOIN grants g ON g.id = i.grant_id"
)


async def installments_of(
    connection: Connection | Pool, grant_id: UUID, *, lock: bool = False
) -> list[Installment]:
    """The grant's installments in sequence order; `lock` locks them (not the grant)."""
    rows = await connection.fetch(
        INSTALLMENT_WITH_GRANT
        + " WHERE i.grant_id = $1 ORDER BY i.sequence"
        + (" FOR UPDATE OF i" if lock else ""),
        grant_id,
    )
    return [_installment(r) for r in rows]


async def installment(
    connection: Connection | Pool, installment_id: UUID, *, lock: bool = False
) -> Installment | None:
    row = await connection.fetchrow(
        INSTALLMENT_WITH_GRANT + " WHERE i.id = $1" + (" FOR UPDATE OF i" if lock else ""), installment_id
    )
    return _installment(row) if row is not None else None


async def mark_due(connection: Connection, installment_ids: Sequence[UUID]) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'due', fell_due_at = now() WHERE id = ANY($1::uuid[])",
        list(installment_ids),
    )


async def cancel(
    connection: Connection,
    installment_ids: Sequence[UUID],
    reason: CancellationReason = CancellationReason.CASE_CLOSED,
) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'cancelled', cancel_reason = $2 WHERE id = ANY($1::uuid[])",
        list(installment_ids),
        reason.value,
    )


async def mark_approved(
    connection: Connection, installment_id: UUID, *, by: str, by_id: UUID, at: datetime
) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'approved', approved_by = $2, approved_by_id = $3, approved_at = $4"
        " WHERE id = $1",
        installment_id,
        by,
        by_id,
        at,
    )


async def mark_disbursed(
    connection: Connection,
    installment_id: UUID,
    payment: Payment,
    *,
    by: str,
    by_id: UUID,
    at: datetime,
    transaction_id: UUID,
    attempts: int,
) -> None:
    """Paid with `payment`, posted as ledger transaction `transaction_id`; `attempts` counts the
    disbursements of this installment so far, this one included."""
    await connection.execute(
        "UPDATE installments SET status = 'disbursed', disbursed_by = $2, disbursed_by_id = $3,"
        " disbursed_at = $4, method = $5, supplier = $6, invoice_number = $7, payment_reference = $8,"
        " disbursement_transaction = $9, attempts = $10 WHERE id = $1",
        installment_id,
        by,
        by_id,
        at,
        payment.method.value,
        payment.supplier,
        payment.invoice_number,
        payment.payment_reference,
        transaction_id,
        attempts,
    )


async def mark_failed(connection: Connection, installment_id: UUID, *, reason: str, at: datetime) -> None:
    await connection.execute(
        "UPDATE installments SET status = 'failed', failure_reason = $2, failed_at = $3 WHERE id = $1",
        installment_id,
        reason,
        at,
    )


async def waiting_installments_due_by(connection: Connection, today: date, limit: int) -> list[Installment]:
    """Installments of open grants whose days-after-arrival date has come, locked; rows another
    transaction holds are skipped (the next check takes them)."""
    rows = await connection.fetch(
        INSTALLMENT_WITH_GRANT + " WHERE i.status = 'scheduled' AND i.milestone = 'days_after_arrival'"
        " AND i.due_on <= $1 AND g.status = 'open' ORDER BY i.due_on, i.id LIMIT $2"
        " FOR UPDATE OF i SKIP LOCKED",
        today,
        limit,
    )
    return [_installment(r) for r in rows]


async def list_installments(
    pool: Pool,
    *,
    programmes: list[str] | None,
    grant_id: UUID | None,
    programme_id: str | None,
    status: str | None,
    milestone: str | None,
    due_by: date | None,
    limit: int,
    offset: int,
) -> list[Installment]:
    """Installments within `programmes` (the reader's; None: every programme)."""
    rows = await pool.fetch(
        INSTALLMENT_WITH_GRANT + " WHERE ($1::uuid IS NULL OR i.grant_id = $1)"
        " AND ($2::text IS NULL OR g.programme_id = $2) AND ($3::text IS NULL OR i.status = $3)"
        " AND ($4::text IS NULL OR i.milestone = $4) AND ($5::date IS NULL OR i.due_on <= $5)"
        " AND ($8::text[] IS NULL OR g.programme_id = ANY($8::text[]))"
        " ORDER BY g.created_at, i.grant_id, i.sequence LIMIT $6 OFFSET $7",
        grant_id,
        programme_id,
        status,
        milestone,
        due_by,
        limit,
        offset,
        programmes,
    )
    return [_installment(r) for r in rows]


async def erase_free_text(connection: Connection, case_id: UUID) -> None:
    """The case's personal data is erased: drop what officers typed freely on its installments
    (the supplier's name, a failure reason from before reasons were codes). References, amounts,
    dates and who paid stay: the ledger names them and audits need them."""
    await connection.execute(
        "UPDATE installments SET supplier = NULL,"
        " failure_reason = CASE WHEN failure_reason ~ '^[a-z_]+$' THEN failure_reason END"
        " WHERE grant_id IN (SELECT id FROM grants WHERE case_id = $1)",
        case_id,
    )
