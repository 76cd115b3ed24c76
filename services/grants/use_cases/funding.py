"""Donor funding received: it becomes available budget, and waiting grants open as far as it goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import structlog

from services.grants.core.errors import InvalidRequest, NotFound
from services.grants.core.ledger.postings import funding_received
from services.grants.core.policies import UnknownProgramme
from services.grants.core.rules import REFERENCE_DESCRIPTION, is_reference
from services.grants.store import ledger as ledger_store
from services.grants.store import programmes as programme_store
from shared.db import transaction
from shared.identity.model import User
from shared.money import Money

from .context import GrantsContext
from .opening import open_waiting_grants

log = structlog.get_logger("grants.funding")


@dataclass(frozen=True)
class FundingRecorded:
    transaction_id: UUID
    replayed: bool
    opened_grants: list[UUID] = field(default_factory=list)


async def record_funding(
    context: GrantsContext,
    programme_id: str,
    amount: Money,
    *,
    reference: str,
    idempotency_key: str,
    officer: User,
) -> FundingRecorded:
    """Post donor funding as available budget, once per `idempotency_key` (the same key again is a
    replay; with other content, an IdempotencyConflict), and open the waiting grants it makes
    room for."""
    try:
        if not officer.may_see_programme(programme_id):  # answered as a programme that does not exist
            raise UnknownProgramme(f"no donor programme {programme_id!r} in the policy file")
        programme = context.policies.programme(programme_id)
    except UnknownProgramme as error:
        raise NotFound(str(error)) from error
    if amount.currency != programme.currency:
        raise InvalidRequest(f"amount.currency: programme {programme_id} is funded in {programme.currency}")
    if amount.amount <= 0:
        raise InvalidRequest("amount.amount: funding received is a positive amount")
    if not is_reference(reference):  # it is chained into the ledger, never erased
        raise InvalidRequest(f"reference: {REFERENCE_DESCRIPTION}")
    posting = funding_received(
        programme_id, amount, idempotency_key=f"funding:{idempotency_key}", reference=reference
    )
    async with transaction(context.pool) as connection:
        await programme_store.lock_programme(connection, programme_id)
        stored = await ledger_store.append_posting(connection, posting, recorded_by=officer.name)
        opened = [] if stored.replayed else await open_waiting_grants(connection, context, programme_id)
    log.info(
        "funding recorded",
        programme_id=programme_id,
        transaction_id=str(stored.id),
        replayed=stored.replayed,
        opened=len(opened),
    )
    return FundingRecorded(stored.id, stored.replayed, opened)
