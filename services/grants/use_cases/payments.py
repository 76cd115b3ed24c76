"""What finance officers do to an installment: approve it, disburse it (another officer), record a
failed or returned payment. Each is one transaction: lock, decide (core/rules.py), post, queue the
event."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import structlog

from services.grants.core.errors import IdempotencyConflict, NotFound
from services.grants.core.grant import Installment
from services.grants.core.ledger.postings import Posting, disbursement, release, reversal
from services.grants.core.rules import (
    GrantStatus,
    Payment,
    PaymentFailure,
    check_approval,
    check_disbursement,
    check_failure,
    disbursement_memo,
    failure_memo,
)
from services.grants.store import installments as installment_store
from services.grants.store import ledger as ledger_store
from services.grants.store import programmes as programme_store
from shared.db import Connection, transaction
from shared.events.grants import InstallmentApproved, InstallmentDisbursed, InstallmentFailed
from shared.identity.model import User

from .context import GrantsContext
from .grant_events import installment_event_fields, queue_grant_event
from .opening import open_waiting_grants

log = structlog.get_logger("grants.payments")


async def _locked(connection: Connection, installment_id: UUID, officer: User) -> Installment:
    """The installment, locked; NotFound for one that does not exist or is of a programme that is
    not the officer's (the two are answered alike)."""
    installment = await installment_store.installment(connection, installment_id, lock=True)
    if installment is None or not officer.may_see_programme(installment.programme_id):
        raise NotFound(f"no installment {installment_id}")
    return installment


async def approve(context: GrantsContext, installment_id: UUID, officer: User) -> Installment:
    """Approve a due (or failed) installment; returns it as it is now."""
    async with transaction(context.pool) as connection:
        installment = await _locked(connection, installment_id, officer)
        check_approval(installment.facts())
        await installment_store.mark_approved(
            connection, installment_id, by=officer.name, by_id=officer.id, at=_now()
        )
        await queue_grant_event(
            connection,
            context,
            InstallmentApproved(**installment_event_fields(installment), approved_by=officer.name),
            correlation_id=installment.correlation_id,
        )
        return await _locked(connection, installment_id, officer)


def _disbursement_posting(installment: Installment, payment: Payment, key: str) -> Posting:
    memo = disbursement_memo(payment)  # references only: the ledger is never erased
    return disbursement(
        installment.programme_id,
        installment.grant_id,
        installment.id,
        installment.amount,
        idempotency_key=key,
        memo=memo,
    )


async def disburse(
    context: GrantsContext, installment_id: UUID, payment: Payment, officer: User, client_key: str | None
) -> tuple[Installment, bool]:
    """(the installment, replayed). With `client_key`, a retry of the same request is answered
    with the installment as it is (replayed=True); the key reused for anything else is a 409."""
    async with transaction(context.pool) as connection:
        installment = await _locked(connection, installment_id, officer)
        attempt = installment.attempts + 1
        key = f"disbursement:{client_key}" if client_key else f"disbursement:{installment_id}:{attempt}"
        posting = _disbursement_posting(installment, payment, key)
        if client_key and (existing := await ledger_store.transaction_for_key(connection, key)) is not None:
            if existing.fingerprint != posting.fingerprint():
                raise IdempotencyConflict(
                    f"Idempotency-Key {client_key!r} was already used for a different request"
                )
            return installment, True
        check_disbursement(installment.facts(), officer.id, payment)
        stored = await ledger_store.append_posting(connection, posting, recorded_by=officer.name)
        await installment_store.mark_disbursed(
            connection,
            installment_id,
            payment,
            by=officer.name,
            by_id=officer.id,
            at=_now(),
            transaction_id=stored.id,
            attempts=attempt,
        )
        await queue_grant_event(
            connection,
            context,
            InstallmentDisbursed(
                **installment_event_fields(installment), method=payment.method, disbursed_by=officer.name
            ),
            correlation_id=installment.correlation_id,
        )
        log.info("installment disbursed", installment_id=str(installment_id), transaction_id=str(stored.id))
        return await _locked(connection, installment_id, officer), False


async def record_failure(
    context: GrantsContext, installment_id: UUID, reason: PaymentFailure, officer: User
) -> Installment:
    """A failed or returned payment: the disbursement is reversed and the installment can be
    approved again — unless the grant has closed, when the money also goes back to the budget."""
    unlocked = await installment_store.installment(context.pool, installment_id)
    if unlocked is None or not officer.may_see_programme(unlocked.programme_id):
        raise NotFound(f"no installment {installment_id}")
    async with transaction(context.pool) as connection:
        await programme_store.lock_programme(connection, unlocked.programme_id)
        installment = await _locked(connection, installment_id, officer)
        check_failure(installment.facts(), officer.id)
        paid = installment.disbursement_transaction
        if paid is None:  # a disbursed installment names its transaction (check_failure passed)
            raise LookupError(f"installment {installment_id} is disbursed but names no ledger transaction")
        original = await ledger_store.stored_posting(connection, paid)
        undo = reversal(original, paid, memo=failure_memo(reason))
        stored = await ledger_store.append_posting(connection, undo, recorded_by=officer.name)
        await installment_store.mark_failed(connection, installment_id, reason=reason.value, at=_now())
        await queue_grant_event(
            connection,
            context,
            InstallmentFailed(**installment_event_fields(installment), reason=reason.value),
            correlation_id=installment.correlation_id,
        )
        if installment.grant_status is GrantStatus.CLOSED:
            back = release(
                installment.programme_id,
                installment.grant_id,
                installment.amount,
                idempotency_key=f"release:{installment.grant_id}:{stored.id}",
                memo="payment returned after the case closed",
            )
            await ledger_store.append_posting(connection, back, recorded_by=officer.name)
            await open_waiting_grants(connection, context, installment.programme_id)
        return await _locked(connection, installment_id, officer)


def _now() -> datetime:
    return datetime.now(UTC)
