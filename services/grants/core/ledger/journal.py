"""A posting as the chained entries the ledger stores: one per line, each sealed with its hash in
the current (full) canonical form. Pure (the entry ids are fresh UUIDv7s); `store.ledger` writes
what this returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from shared.events.ids import uuid7

from .chain import CURRENT_HASH_VERSION, ChainedEntry, as_text, texts_hash
from .postings import Posting


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
    return [
        ChainedEntry.model_construct(**values)
        for values in journal_values(
            posting,
            transaction_id=transaction_id,
            fingerprint=posting.fingerprint(),
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            after_seq=after_seq,
            after_hash=after_hash,
        )
    ]


def journal_values(
    posting: Posting,
    *,
    transaction_id: UUID,
    fingerprint: str,
    recorded_by: str,
    recorded_at: datetime,
    after_seq: int,
    after_hash: str,
) -> list[dict[str, Any]]:
    """`journal_entries` as the field values of each entry (hash included), without the models:
    what `store.ledger` writes, many postings at a time. The posting was validated when it was
    built, so its values go in as they are; the fields every line shares (the transaction's
    columns) are turned into text for the hash once per posting. `fingerprint` is
    `posting.fingerprint()`, which the caller has already computed to check its key."""
    common: dict[str, Any] = {
        "transaction_id": transaction_id,
        "kind": posting.kind.value,
        "idempotency_key": posting.idempotency_key,
        "reverses": posting.reverses,
        "installment_id": posting.installment_id,
        "memo": posting.memo,
        "recorded_by": recorded_by,
        "recorded_at": recorded_at,
        "hash_version": CURRENT_HASH_VERSION,
        "transaction_programme_id": posting.programme_id,
        "transaction_grant_id": posting.grant_id,
        "transaction_fingerprint": fingerprint,
        "transaction_recorded_at": recorded_at,
    }
    common_text = {name: as_text(value) for name, value in common.items()}
    entries: list[dict[str, Any]] = []
    previous = after_hash
    for offset, line in enumerate(posting.lines, start=1):
        own: dict[str, Any] = {
            "seq": after_seq + offset,
            "entry_id": uuid7(),
            "programme_id": line.account.programme_id,
            "grant_id": line.account.grant_id,
            "account": line.account.code,
            "account_kind": line.account.kind.value,
            "direction": line.direction.value,
            "amount": line.amount.amount,
            "currency": line.amount.currency,
            "prev_hash": previous,
        }
        previous = texts_hash({**common_text, **{name: as_text(value) for name, value in own.items()}})
        entries.append({**common, **own, "hash": previous})
    return entries
