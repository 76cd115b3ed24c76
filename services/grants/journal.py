"""A posting as the chained entries the ledger stores: one per line, each sealed with its hash.
Pure (the entry ids are fresh UUIDv7s); `ledger_store` writes what this returns."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.events.ids import uuid7

from .chain import ChainedEntry, sealed
from .ledger import Posting


def journal_entries(
    posting: Posting,
    *,
    transaction_id: UUID,
    recorded_by: str,
    recorded_at: datetime,
    after_seq: int,
    after_hash: str,
) -> list[ChainedEntry]:
    """`posting`'s lines as entries `after_seq + 1 ...`, the first chained to `after_hash`."""
    entries: list[ChainedEntry] = []
    previous = after_hash
    for offset, line in enumerate(posting.lines, start=1):
        entry = sealed(
            ChainedEntry(
                seq=after_seq + offset,
                entry_id=uuid7(),
                transaction_id=transaction_id,
                kind=posting.kind.value,
                idempotency_key=posting.idempotency_key,
                reverses=posting.reverses,
                programme_id=line.account.programme_id,
                grant_id=line.account.grant_id,
                installment_id=posting.installment_id,
                account=line.account.code,
                direction=line.direction.value,
                amount=line.amount.amount,
                currency=line.amount.currency,
                memo=posting.memo,
                recorded_by=recorded_by,
                recorded_at=recorded_at,
                prev_hash=previous,
            )
        )
        entries.append(entry)
        previous = entry.hash
    return entries
