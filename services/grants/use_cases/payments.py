"""What finance officers do to an installment: approve, disburse, record a failed payment; and
verify a business plan. Each is one transaction: lock, decide (rules.py), post, emit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog

from services.grants.core.errors import Conflict, IdempotencyConflict, NotFound
from services.grants.core.ledger.postings import Posting, disbursement, release, reversal
from services.grants.core.policies import PaidTo
from services.grants.core.rules import (
    GrantStatus,
    InstallmentFacts,
    InstallmentStatus,
    Payment,
    check_approval,
    check_disbursement,
    check_failure,
)
from services.grants.store import grants as grant_store
from services.grants.store import ledger as ledger_store
from services.grants.store.grants import Row
from shared.db import Connection, transaction
from shared.events.codes import DisbursementMethod, Milestone
from shared.events.grants import InstallmentApproved, InstallmentDisbursed, InstallmentFailed
from shared.identity.model import User
from shared.money import Money

from .context import GrantsContext
from .grant_events import emit
from .opening import fall_due, open_waiting_grants

log = structlog.get_logger("grants.payments")


def _facts(row: Row) -> InstallmentFacts:
    return InstallmentFacts(
        status=InstallmentStatus(row["status"]),
        grant_status=GrantStatus(row["grant_status"]),
        milestone=row["milestone"],
        paid_to=PaidTo(row["paid_to"]),
        approved_by_id=row["approved_by_id"],
        approved_by=row["approved_by"],
    )


def _amount(row: Row) -> Money:
    return Money(amount=int(row["amount"]), currency=row["currency"])


def _installment(row: Row) -> dict[str, Any]:
    """The fields every installment event carries, from the installment's locked row."""
    return {
        "grant_id": row["grant_id"],
        "case_id": row["case_id"],
        "installment_id": row["id"],
        "amount": _amount(row),
    }


async def _locked(connection: Connection, installment_id: UUID) -> Row:
    row = await grant_store.installment(connection, installment_id, lock=True)
    if row is None:
        raise NotFound(f"no installment {installment_id}")
    return row


async def approve(context: GrantsContext, installment_id: UUID, officer: User) -> Row:
    async with transaction(context.pool) as connection:
        row = await _locked(connection, installment_id)
        check_approval(_facts(row))
        await grant_store.update_installment(
            connection,
            installment_id,
            InstallmentStatus.APPROVED,
            approved_by=officer.name,
            approved_by_id=officer.id,
            approved_at=_now(),
        )
        await emit(
            connection,
            context,
            InstallmentApproved(
                **_installment(row),
                approved_by=officer.name,
            ),
            correlation_id=row["correlation_id"],
        )
        return await _locked(connection, installment_id)


def _disbursement_posting(row: Row, payment: Payment, key: str) -> Posting:
    memo = f"{payment.method.value}; ref {payment.payment_reference}"
    if payment.method is DisbursementMethod.SUPPLIER_INVOICE:
        memo += f"; invoice {payment.invoice_number} from {payment.supplier}"
    return disbursement(
        row["programme_id"], row["grant_id"], row["id"], _amount(row), idempotency_key=key, memo=memo
    )


async def disburse(
    context: GrantsContext, installment_id: UUID, payment: Payment, officer: User, client_key: str | None
) -> tuple[Row, bool]:
    """(the installment, replayed). With `client_key`, a retry of the same request is answered
    with the installment as it is (replayed=True); the key reused for anything else is a 409."""
    async with transaction(context.pool) as connection:
        row = await _locked(connection, installment_id)
        key = (
            f"disbursement:{client_key}"
            if client_key
            else f"disbursement:{installment_id}:{row['attempts'] + 1}"
        )
        posting = _disbursement_posting(row, payment, key)
        if client_key and (existing := await ledger_store.transaction_for_key(connection, key)) is not None:
            if existing[1] != posting.fingerprint():
                raise IdempotencyConflict(
                    f"Idempotency-Key {client_key!r} was already used for a different request"
                )
            return row, True
        check_disbursement(_facts(row), officer.id, payment)
        stored = await ledger_store.append_posting(connection, posting, recorded_by=officer.name)
        await grant_store.update_installment(
            connection,
            installment_id,
            InstallmentStatus.DISBURSED,
            disbursed_by=officer.name,
            disbursed_by_id=officer.id,
            disbursed_at=_now(),
            method=payment.method.value,
            supplier=payment.supplier,
            invoice_number=payment.invoice_number,
            payment_reference=payment.payment_reference,
            disbursement_transaction=stored.id,
            attempts=row["attempts"] + 1,
        )
        await emit(
            connection,
            context,
            InstallmentDisbursed(
                **_installment(row),
                method=payment.method,
                disbursed_by=officer.name,
            ),
            correlation_id=row["correlation_id"],
        )
        log.info("installment disbursed", installment_id=str(installment_id), transaction_id=str(stored.id))
        return await _locked(connection, installment_id), False


async def record_failure(context: GrantsContext, installment_id: UUID, reason: str, officer: User) -> Row:
    """A failed or returned payment: the disbursement is reversed and the installment can be
    approved again — unless the grant has closed, when the money also goes back to the budget."""
    unlocked = await grant_store.installment(context.pool, installment_id)
    if unlocked is None:
        raise NotFound(f"no installment {installment_id}")
    async with transaction(context.pool) as connection:
        await grant_store.lock_programme(connection, unlocked["programme_id"])
        row = await _locked(connection, installment_id)
        check_failure(_facts(row))
        original = await ledger_store.stored_posting(connection, row["disbursement_transaction"])
        undo = reversal(original, row["disbursement_transaction"], memo=f"payment failed: {reason}")
        stored = await ledger_store.append_posting(connection, undo, recorded_by=officer.name)
        await grant_store.update_installment(
            connection, installment_id, InstallmentStatus.FAILED, failure_reason=reason, failed_at=_now()
        )
        await emit(
            connection,
            context,
            InstallmentFailed(
                **_installment(row),
                reason=reason,
            ),
            correlation_id=row["correlation_id"],
        )
        if row["grant_status"] == GrantStatus.CLOSED:
            back = release(
                row["programme_id"],
                row["grant_id"],
                _amount(row),
                idempotency_key=f"release:{row['grant_id']}:{stored.id}",
                memo="payment returned after the case closed",
            )
            await ledger_store.append_posting(connection, back, recorded_by=officer.name)
            await open_waiting_grants(connection, context, row["programme_id"])
        return await _locked(connection, installment_id)


async def verify_business_plan(context: GrantsContext, grant_id: UUID, officer: User) -> list[Row]:
    """Record the verification; the grant's business-plan installments fall due (at once if the
    grant is open, when it opens otherwise). Returns those installments."""
    async with transaction(context.pool) as connection:
        grant = await grant_store.grant(connection, grant_id, lock=True)
        if grant is None:
            raise NotFound(f"no grant {grant_id}")
        if grant["status"] == GrantStatus.CLOSED:
            raise Conflict("the grant is closed")
        if grant["business_plan_verified_at"] is not None:
            raise Conflict(
                f"the business plan was already verified by {grant['business_plan_verified_by']} "
                f"on {grant['business_plan_verified_at']:%Y-%m-%d}"
            )
        installments = await grant_store.installments_of(connection, grant_id, lock=True)
        waiting = [
            i
            for i in installments
            if i["milestone"] == Milestone.BUSINESS_PLAN_VERIFIED
            and i["status"] == InstallmentStatus.SCHEDULED
        ]
        if not waiting:
            raise Conflict("no installment of this grant waits for a business plan")
        await connection.execute(
            "UPDATE grants SET business_plan_verified_by = $2, business_plan_verified_at = now()"
            " WHERE id = $1",
            grant_id,
            officer.name,
        )
        if grant["status"] == GrantStatus.OPEN:
            await fall_due(
                connection, context, waiting, case_id=grant["case_id"], correlation_id=grant["correlation_id"]
            )
        return await grant_store.installments_of(connection, grant_id)


def _now() -> datetime:
    return datetime.now(UTC)
