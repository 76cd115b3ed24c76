"""The ledger in PostgreSQL as the use cases touch it inside their transaction: appending postings
to the hash chain, reading back a stored posting and an account's balance. (What auditors and the
finance views read is in `ledger_reads`.)

`append_posting` (and `append_postings`, several at once) must run inside the caller's transaction,
after any other row lock that transaction takes: it locks the single chain-head row until commit,
which serialises appends (one chain order, gapless `seq`) and makes the idempotency check race-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.grants.core.errors import IdempotencyConflict
from services.grants.core.ledger.chain import CURRENT_HASH_VERSION
from services.grants.core.ledger.journal import journal_values
from services.grants.core.ledger.postings import (
    Account,
    AccountKind,
    Direction,
    Line,
    Posting,
    TransactionKind,
)
from shared.db import Connection
from shared.events.ids import uuid7
from shared.money import Money

# debits minus credits of the entries summed over
NET_DEBIT = "sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END)"


class ChainHeadMissing(RuntimeError):
    """The ledger's chain-head row is gone: the schema is not the migrated one. Not the fault of
    any request or event, so nothing is refused or dead-lettered for it."""


@dataclass(frozen=True)
class StoredTransaction:
    id: UUID
    replayed: bool  # the same key and content were already posted: nothing new was written


@dataclass(frozen=True)
class KnownTransaction:
    """A ledger transaction already stored under an idempotency key."""

    id: UUID
    fingerprint: str  # Posting.fingerprint() of what it posted


async def transaction_for_key(connection: Connection, key: str) -> KnownTransaction | None:
    row = await connection.fetchrow(
        "SELECT id, fingerprint FROM ledger_transactions WHERE idempotency_key = $1", key
    )
    return KnownTransaction(row["id"], row["fingerprint"]) if row else None


async def append_posting(connection: Connection, posting: Posting, recorded_by: str) -> StoredTransaction:
    """Store `posting` once per idempotency key; the same key with other content raises
    IdempotencyConflict."""
    (stored,) = await append_postings(connection, [posting], recorded_by)
    return stored


_WRITE = (
    "WITH t AS (INSERT INTO ledger_transactions (id, kind, idempotency_key, fingerprint, programme_id,"
    " grant_id, installment_id, reverses, memo, recorded_by, recorded_at)"
    " SELECT *, $10::text, $11::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
    " $5::text[], $6::uuid[], $7::uuid[], $8::uuid[], $9::text[])),"
    " e AS (INSERT INTO ledger_entries (seq, entry_id, transaction_id, account, account_kind, programme_id,"
    " grant_id, direction, amount, currency, recorded_at, prev_hash, hash, hash_version)"
    " SELECT s, i, x, a, k, p, g, d, m, c, $11::timestamptz, ph, h, $26::smallint FROM unnest($12::bigint[],"
    " $13::uuid[], $14::uuid[], $15::text[], $16::text[], $17::text[], $18::uuid[], $19::text[],"
    " $20::bigint[], $21::text[], $22::text[], $23::text[]) AS u(s, i, x, a, k, p, g, d, m, c, ph, h))"
    " UPDATE ledger_chain_head SET last_seq = $24, last_hash = $25 WHERE id = 1"
)


async def append_postings(
    connection: Connection, postings: Sequence[Posting], recorded_by: str
) -> list[StoredTransaction]:
    """Store `postings` in order, each once per idempotency key (as `append_posting`), in three
    round trips: lock the chain head, look every key up, write transactions, entries and the new
    head in one statement. The same key twice in `postings` is a replay of the first (or a conflict)."""
    if not postings:
        return []
    head = await connection.fetchrow(
        "SELECT last_seq, last_hash FROM ledger_chain_head WHERE id = 1 FOR UPDATE"
    )
    if head is None:
        raise ChainHeadMissing("ledger_chain_head has no row: the ledger migration seeds it")
    fingerprints = [posting.fingerprint() for posting in postings]
    known: dict[str, KnownTransaction] = {
        row["idempotency_key"]: KnownTransaction(row["id"], row["fingerprint"])
        for row in await connection.fetch(
            # a join, not `= ANY($1)`: a cached generic plan for ANY can scan the whole table
            "SELECT t.idempotency_key, t.id, t.fingerprint FROM unnest($1::text[]) AS k (key)"
            " JOIN ledger_transactions t ON t.idempotency_key = k.key",
            [posting.idempotency_key for posting in postings],
        )
    }
    recorded_at = datetime.now(UTC)
    seq, previous = int(head["last_seq"]), str(head["last_hash"])
    results: list[StoredTransaction] = []
    new: list[tuple[UUID, Posting, str]] = []
    rows: list[tuple[Any, ...]] = []
    for posting, fingerprint in zip(postings, fingerprints, strict=True):
        existing = known.get(posting.idempotency_key)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise IdempotencyConflict(
                    f"idempotency key {posting.idempotency_key!r} was already used for a different posting"
                )
            results.append(StoredTransaction(existing.id, replayed=True))
            continue
        transaction_id = uuid7()
        known[posting.idempotency_key] = KnownTransaction(transaction_id, fingerprint)
        new.append((transaction_id, posting, fingerprint))
        results.append(StoredTransaction(transaction_id, replayed=False))
        entries = journal_values(
            posting,
            transaction_id=transaction_id,
            fingerprint=fingerprint,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            after_seq=seq,
            after_hash=previous,
        )
        rows.extend(
            (
                e["seq"],
                e["entry_id"],
                transaction_id,
                e["account"],
                line.account.kind.value,
                e["programme_id"],
                e["grant_id"],
                e["direction"],
                e["amount"],
                e["currency"],
                e["prev_hash"],
                e["hash"],
            )
            for e, line in zip(entries, posting.lines, strict=True)
        )
        seq, previous = entries[-1]["seq"], entries[-1]["hash"]
    if new:
        transaction_columns = zip(
            *(
                (
                    t,
                    p.kind.value,
                    p.idempotency_key,
                    f,
                    p.programme_id,
                    p.grant_id,
                    p.installment_id,
                    p.reverses,
                    p.memo,
                )
                for t, p, f in new
            ),
            strict=True,
        )
        await connection.execute(
            _WRITE,
            *(list(column) for column in transaction_columns),
            recorded_by,
            recorded_at,
            *(list(column) for column in zip(*rows, strict=True)),
            seq,
            previous,
            CURRENT_HASH_VERSION,
        )
    return results


async def stored_posting(connection: Connection, transaction_id: UUID) -> Posting:
    """A stored transaction as the Posting it was (to build its reversal)."""
    txn = await connection.fetchrow("SELECT * FROM ledger_transactions WHERE id = $1", transaction_id)
    if txn is None:
        raise LookupError(f"no ledger transaction {transaction_id}")
    rows = await connection.fetch(
        "SELECT account_kind, programme_id, grant_id, direction, amount, currency FROM ledger_entries"
        " WHERE transaction_id = $1 ORDER BY seq",
        transaction_id,
    )
    lines = [
        Line(
            account=Account(
                kind=AccountKind(r["account_kind"]), programme_id=r["programme_id"], grant_id=r["grant_id"]
            ),
            direction=Direction(r["direction"]),
            amount=Money(amount=int(r["amount"]), currency=r["currency"]),
        )
        for r in rows
    ]
    return Posting(
        kind=TransactionKind(txn["kind"]),
        idempotency_key=txn["idempotency_key"],
        programme_id=txn["programme_id"],
        grant_id=txn["grant_id"],
        installment_id=txn["installment_id"],
        reverses=txn["reverses"],
        memo=txn["memo"],
        lines=lines,
    )


async def account_balance(connection: Connection, account: Account) -> int:
    """The balance of `account` in its normal direction, in minor units."""
    net = await connection.fetchval(
        f"SELECT coalesce({NET_DEBIT}, 0) FROM ledger_entries WHERE account = $1", account.code
    )
    return int(net) if account.kind.normal is Direction.DEBIT else -int(net)


async def available_budget(connection: Connection, programme_id: str) -> int:
    return await account_balance(connection, Account(kind=AccountKind.AVAILABLE, programme_id=programme_id))
