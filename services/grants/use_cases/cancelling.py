"""Cancelling the installments of a grant whose milestones can no longer happen (the returnee
re-migrated): each is cancelled, its amount released from the grant's commitment in a balanced
ledger transaction of its own (never an edit), and InstallmentCancelled queued. The caller holds
the programme's and the grant's locks."""

from __future__ import annotations

import structlog

from services.grants.core.grant import Grant, Installment
from services.grants.core.ledger.postings import release
from services.grants.core.rules import InstallmentStatus
from services.grants.store import installments as installment_store
from services.grants.store import ledger as ledger_store
from shared.db import Connection
from shared.events.codes import CancellationReason
from shared.events.envelope import Envelope
from shared.events.grants import InstallmentCancelled

from .context import SYSTEM_ACTOR, GrantsContext
from .grant_events import installment_event_fields, queue_grant_event

log = structlog.get_logger("grants.cancelling")


async def cancel_waiting_of_grant(
    connection: Connection,
    context: GrantsContext,
    grant: Grant,
    reason: CancellationReason,
    *,
    causation: Envelope | None,
) -> list[Installment]:
    """Cancel and release the open grant's installments still `scheduled`; return them."""
    installments = await installment_store.installments_of(connection, grant.id, lock=True)
    waiting = [i for i in installments if i.status is InstallmentStatus.SCHEDULED]
    if not waiting:
        return []
    await installment_store.cancel(connection, [i.id for i in waiting], reason)
    releases = [
        release(
            grant.programme_id,
            grant.id,
            installment.amount,
            # one release per installment: a second cancellation of it could not post twice
            idempotency_key=f"release:{installment.id}:cancelled",
            memo=f"installment {installment.sequence} cancelled: {reason.value}",
        )
        for installment in waiting
    ]
    # one append for them all: the chain head is locked and the keys looked up once, not per posting
    await ledger_store.append_postings(connection, releases, recorded_by=SYSTEM_ACTOR)
    for installment in waiting:
        await queue_grant_event(
            connection,
            context,
            InstallmentCancelled(
                **installment_event_fields(installment),
                assistance_type=installment.assistance_type,
                milestone=installment.milestone,
                reason=reason,
                released=installment.amount,
            ),
            correlation_id=grant.correlation_id,
            causation=causation,
        )
    log.info("installments cancelled", grant_id=str(grant.id), count=len(waiting), reason=reason.value)
    return waiting
