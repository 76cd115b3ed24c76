"""The ledger read back, for auditors and the finance views: entries with filters, the whole chain
in order, the chain head, and balances as they stood at any moment. Entries are never changed, so
every read here sees a consistent prefix of the chain."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from services.grants.core.ledger.chain import GENESIS_HASH, ChainedEntry
from services.grants.core.ledger.postings import AccountKind, Direction
from shared.db import Connection, Pool
from shared.money import Money

from .ledger import NET_DEBIT


@dataclass(frozen=True)
class KindBalance:
    """The balance of every account of one kind, in one programme and currency, in the kind's
    normal direction (minor units)."""

    programme_id: str
    currency: str
    kind: AccountKind
    balance: int


@dataclass(frozen=True)
class AccountBalance:
    """One account's balance in one currency, in its normal direction."""

    account: str
    kind: AccountKind
    programme_id: str
    grant_id: UUID | None
    balance: Money


@dataclass(frozen=True)
class ChainHead:
    """The last entry appended to the chain: its sequence number and hash."""

    seq: int
    hash: str


def _normal(kind: AccountKind, net_debit: int) -> int:
    return net_debit if kind.normal is Direction.DEBIT else -net_debit


async def balances_by_kind(
    connection: Connection | Pool,
    *,
    programmes: list[str] | None,
    programme_id: str | None = None,
    before: datetime | None = None,
) -> list[KindBalance]:
    """Per programme (of `programmes`; None: every one), currency and account kind: the balance in
    the kind's normal direction, counting entries recorded before `before` (all of them when None)."""
    rows = await connection.fetch(
        f"SELECT programme_id, currency, account_kind, {NET_DEBIT} AS net FROM ledger_entries"
        " WHERE ($1::text IS NULL OR programme_id = $1) AND ($2::timestamptz IS NULL OR recorded_at < $2)"
        " AND ($3::text[] IS NULL OR programme_id = ANY($3::text[]))"
        " GROUP BY programme_id, currency, account_kind ORDER BY programme_id, currency, account_kind",
        programme_id,
        before,
        programmes,
    )
    return [
        KindBalance(
            programme_id=r["programme_id"],
            currency=r["currency"],
            kind=(kind := AccountKind(r["account_kind"])),
            balance=_normal(kind, int(r["net"])),
        )
        for r in rows
    ]


async def account_balances(
    pool: Pool,
    *,
    programmes: list[str] | None,
    programme_id: str | None = None,
    grant_id: UUID | None = None,
    account: str | None = None,
    before: datetime | None = None,
) -> list[AccountBalance]:
    rows = await pool.fetch(
        f"SELECT account, account_kind, programme_id, grant_id, currency, {NET_DEBIT} AS net"
        " FROM ledger_entries"
        " WHERE ($1::text IS NULL OR programme_id = $1) AND ($2::uuid IS NULL OR grant_id = $2)"
        " AND ($3::text IS NULL OR account = $3) AND ($4::timestamptz IS NULL OR recorded_at < $4)"
        " AND ($5::text[] IS NULL OR programme_id = ANY($5::text[]))"
        " GROUP BY account, account_kind, programme_id, grant_id, currency ORDER BY account, currency",
        programme_id,
        grant_id,
        account,
        before,
        programmes,
    )
    return [
        AccountBalance(
            account=r["account"],
            kind=(kind := AccountKind(r["account_kind"])),
            programme_id=r["programme_id"],
            grant_id=r["grant_id"],
            balance=Money(amount=_normal(kind, int(r["net"])), currency=r["currency"]),
        )
        for r in rows
    ]


# every stored column of the entry and of its transaction: what the hash (version 2) covers
ENTRY_SELECT = (
    "SELECT e.seq, e.entry_id, e.transaction_id, t.kind, t.idempotency_key, t.reverses, e.programme_id,"
    " e.grant_id, t.installment_id, e.account, e.direction, e.amount, e.currency, t.memo, t.recorded_by,"
    " e.recorded_at, e.prev_hash, e.hash_version, e.account_kind, t.programme_id AS transaction_programme_id,"
    " t.grant_id AS transaction_grant_id, t.fingerprint AS transaction_fingerprint,"
    " t.recorded_at AS transaction_recorded_at, e.hash"
    " FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id"
)


def _entry(row: asyncpg.Record) -> ChainedEntry:
    return ChainedEntry.model_validate(dict(row.items()))


async def entries(
    pool: Pool,
    *,
    programmes: list[str] | None,
    programme_id: str | None = None,
    grant_id: UUID | None = None,
    account: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    after_seq: int = 0,
    limit: int = 500,
) -> list[ChainedEntry]:
    rows = await pool.fetch(
        ENTRY_SELECT + " WHERE e.seq > $1 AND ($2::text IS NULL OR e.programme_id = $2)"
        " AND ($3::uuid IS NULL OR e.grant_id = $3 OR t.grant_id = $3)"
        " AND ($4::text IS NULL OR e.account = $4)"
        " AND ($5::timestamptz IS NULL OR e.recorded_at >= $5)"
        " AND ($6::timestamptz IS NULL OR e.recorded_at < $6)"
        " AND ($8::text[] IS NULL OR e.programme_id = ANY($8::text[]))"
        " ORDER BY e.seq LIMIT $7",
        after_seq,
        programme_id,
        grant_id,
        account,
        since,
        before,
        limit,
        programmes,
    )
    return [_entry(r) for r in rows]


_EVERY_ENTRY = ENTRY_SELECT + " WHERE e.seq > $1 AND ($2::bigint IS NULL OR e.seq <= $2) ORDER BY e.seq"


async def every_entry(
    source: Pool | Connection, chunk: int = 2000, *, after: int = 0, upto: int | None = None
) -> AsyncGenerator[ChainedEntry, None]:
    """The ledger in chain order from entry `after + 1` (to `upto`, else the end), streamed through
    one server-side cursor `chunk` rows at a time: a million entries in one query and constant
    memory. From a pool: in a read-only snapshot of its own (one consistent prefix of the chain);
    from a connection: in the caller's transaction (or one opened for it). Close the iterator
    (`contextlib.aclosing`) when stopping early: it holds a connection."""
    if isinstance(source, asyncpg.Pool):
        async with (
            source.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
            contextlib.aclosing(_read_ahead(connection, chunk, after, upto)) as entries,
        ):
            async for entry in entries:
                yield entry
        return
    async with contextlib.AsyncExitStack() as stack:
        if not source.is_in_transaction():
            await stack.enter_async_context(source.transaction(isolation="repeatable_read", readonly=True))
        # the iterator closes its portal when it is done: the caller's transaction may go on
        async for row in source.cursor(_EVERY_ENTRY, after, upto, prefetch=chunk):
            yield _entry(row)


async def _read_ahead(
    connection: Connection, chunk: int, after: int, upto: int | None
) -> AsyncGenerator[ChainedEntry, None]:
    """The cursor asked for its next chunk before this one is handed out: the database reads it
    while the caller checks this one (the verify spent half its time waiting for each chunk).
    Its portal closes with the transaction the caller opened for it."""
    cursor = await connection.cursor(_EVERY_ENTRY, after, upto)
    pending = asyncio.ensure_future(cursor.fetch(chunk))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(cursor.fetch(chunk))
            await asyncio.sleep(0)  # the request goes out before the caller takes over
            for row in rows:
                yield _entry(row)
    finally:
        if not pending.done():  # stopped early: the connection must be free before it goes back
            with contextlib.suppress(Exception):
                await pending


async def recorded_at(connection: Pool | Connection, seq: int) -> datetime | None:
    """When entry `seq` was recorded (None: there is no such entry yet)."""
    value: datetime | None = await connection.fetchval(
        "SELECT recorded_at FROM ledger_entries WHERE seq = $1", seq
    )
    return value


async def installment_entries(pool: Pool, installment_id: UUID, *, upto: int) -> list[ChainedEntry]:
    """Every entry of every transaction that names the installment (its payments and their
    reversals), up to entry `upto`, in chain order."""
    rows = await pool.fetch(
        ENTRY_SELECT + " WHERE t.installment_id = $1 AND e.seq <= $2 ORDER BY e.seq", installment_id, upto
    )
    return [_entry(r) for r in rows]


async def entry_hashes(pool: Pool, *, upto: int, chunk: int = 50_000) -> list[bytes]:
    """The hashes of entries 1..upto, in order, as bytes: the leaves of the Merkle tree."""
    hashes: list[bytes] = []
    while len(hashes) < upto:
        rows = await pool.fetch(
            "SELECT hash FROM ledger_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            len(hashes),
            upto,
            chunk,
        )
        if not rows:
            break
        hashes.extend(bytes.fromhex(r["hash"]) for r in rows)
    return hashes


async def chain_head(pool: Pool | Connection) -> ChainHead:
    row = await pool.fetchrow("SELECT last_seq, last_hash FROM ledger_chain_head WHERE id = 1")
    return ChainHead(int(row["last_seq"]), str(row["last_hash"])) if row else ChainHead(0, GENESIS_HASH)
