"""CaseClosed: the grant's remaining installments are cancelled and its unspent commitment goes
back to the programme's budget (where it may open a waiting grant)."""

from __future__ import annotations

import structlog

from services.grants.core.ledger.postings import Account, AccountKind, release
from services.grants.core.rules import OPEN_INSTALLMENT_STATES, GrantStatus
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.store import ledger as ledger_store
from services.grants.store import programmes as programme_store
from shared.db import Connection
from shared.events.envelope import Envelope
from shared.events.grants import GrantClosed
from shared.events.intake import CaseClosed
from shared.money import Money

from .context import SYSTEM_ACTOR, GrantsContext
from .grant_events import queue_grant_event
from .opening import open_waiting_grants

log = structlog.get_logger("grants.closing")


async def close_grants_of_case(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    closed = envelope.event_as(CaseClosed)
    for candidate in await grant_store.active_grants_of_case(connection, closed.case_id):
        await programme_store.lock_programme(connection, candidate.programme_id)
        grant = await grant_store.grant(connection, candidate.id, lock=True)
        if grant is None or grant.status is GrantStatus.CLOSED:
            continue
        installments = await installment_store.installments_of(connection, grant.id, lock=True)
        cancelled = [i.id for i in installments if i.status in OPEN_INSTALLMENT_STATES]
        await installment_store.cancel(connection, cancelled)
        committed = Account(kind=AccountKind.COMMITTED, programme_id=grant.programme_id, grant_id=grant.id)
        unspent = Money(
            amount=await ledger_store.account_balance(connection, committed), currency=grant.total.currency
        )
        if unspent.amount > 0:
            posting = release(
                grant.programme_id,
                grant.id,
                unspent,
                idempotency_key=f"release:{grant.id}:closure",
                memo=f"case closed: {closed.reason.value}",
            )
            await ledger_store.append_posting(connection, posting, recorded_by=SYSTEM_ACTOR)
        await grant_store.mark_closed(connection, grant.id, closed.reason.value)
        await queue_grant_event(
            connection,
            context,
            GrantClosed(
                grant_id=grant.id,
                case_id=grant.case_id,
                reason=closed.reason.value,
                released=unspent,
                cancelled_installments=cancelled,
            ),
            correlation_id=grant.correlation_id,
            causation=envelope,
        )
        log.info("grant closed", grant_id=str(grant.id), released=unspent.amount, cancelled=len(cancelled))
        await open_waiting_grants(connection, context, grant.programme_id, causation=envelope)
