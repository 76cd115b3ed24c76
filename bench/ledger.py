"""Ledger: disbursement postings/s through grants' own ledger code path (`postings.disbursement`
builds the balanced posting, `store.ledger.append_posting` chains and stores it, `append_postings`
for a batch: chain-head lock, idempotency check, SHA-256 per entry, the deferred balance check at
commit once per transaction) against grants' migrated schema — beside raw asyncpg inserts of the
very same rows into tables of the same columns without chain, checks or triggers.

Two shapes: one posting per transaction (what a disbursement request does: every commit waits for
the disk) and 100 postings per transaction, appended as one batch (a bulk run: the code path itself).
Building the postings is timed too, in both shapes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from services.grants.core.ledger.postings import commitment, disbursement, funding_received
from services.grants.store import ledger as ledger_store
from services.grants.store import ledger_reads
from shared.db import create_pool, migrate
from shared.money import Money

from .baselines import Measured
from .env import BenchSpace
from .report import Report, Row

BENCHMARK = "ledger"
TARGET = 5_000.0
BULK = 100
GRANTS_MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "grants" / "migrations"
PROGRAMME = "BENCH-AVRR"
GRANTS = 50


async def fund(pool: asyncpg.Pool, programme: str) -> None:
    """The programme and more money than any run commits."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO programmes (id, name, currency) VALUES ($1, 'Bench programme', 'EUR')", programme
        )
        posting = funding_received(
            programme,
            Money(amount=10**15, currency="EUR"),
            idempotency_key="bench-funding",
            reference="bench",
        )
        await ledger_store.append_posting(connection, posting, recorded_by="bench")


async def _prepare(pool: asyncpg.Pool) -> list[uuid.UUID]:
    """A programme with money and grants with commitments to disburse from."""
    grants = [uuid.uuid4() for _ in range(GRANTS)]
    await fund(pool, PROGRAMME)
    async with pool.acquire() as connection, connection.transaction():
        for grant in grants:
            await ledger_store.append_posting(
                connection, commitment(PROGRAMME, grant, Money(amount=10**12, currency="EUR")), "bench"
            )
    return grants


async def _disburse(pool: asyncpg.Pool, grants: Sequence[uuid.UUID], count: int, per_txn: int) -> Measured:
    done = 0
    began = time.perf_counter()
    async with pool.acquire() as connection:
        while done < count:
            postings = []
            for _ in range(min(per_txn, count - done)):
                installment = uuid.uuid4()
                postings.append(
                    disbursement(
                        PROGRAMME,
                        grants[done % len(grants)],
                        installment,
                        Money(amount=25_000, currency="EUR"),
                        idempotency_key=f"disbursement:{installment}",
                        memo=f"bank_transfer; ref BENCH-{done}",
                    )
                )
                done += 1
            async with connection.transaction():
                if len(postings) == 1:
                    await ledger_store.append_posting(connection, postings[0], recorded_by="bench-officer")
                else:
                    await ledger_store.append_postings(connection, postings, recorded_by="bench-officer")
    return Measured(f"grants ledger, {per_txn} posting(s)/transaction", done, time.perf_counter() - began)


async def _raw_copy(pool: asyncpg.Pool, count: int, per_txn: int, skip: int) -> Measured:
    """The rows the ledger wrote for `count` disbursements, inserted again with plain asyncpg into
    same-shaped tables (no chain head, hashing, idempotency check or triggers)."""
    async with pool.acquire() as connection:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS raw_transactions (LIKE ledger_transactions INCLUDING DEFAULTS);"
            "CREATE TABLE IF NOT EXISTS raw_entries (LIKE ledger_entries INCLUDING DEFAULTS);"
            "TRUNCATE raw_transactions, raw_entries"
        )
        transactions = await connection.fetch(
            "SELECT * FROM ledger_transactions WHERE kind = 'disbursement' ORDER BY recorded_at, id"
            " OFFSET $1 LIMIT $2",
            skip,
            count,
        )
        entries = await connection.fetch(
            "SELECT * FROM ledger_entries WHERE transaction_id = ANY($1::uuid[]) ORDER BY seq",
            [t["id"] for t in transactions],
        )
        by_transaction: dict[uuid.UUID, list[asyncpg.Record]] = {}
        for entry in entries:
            by_transaction.setdefault(entry["transaction_id"], []).append(entry)
        t_columns, e_columns = list(transactions[0].keys()), list(entries[0].keys())
        t_sql = _insert("raw_transactions", t_columns)
        e_sql = _insert("raw_entries", e_columns)
        began = time.perf_counter()
        for start in range(0, len(transactions), per_txn):
            chunk = transactions[start : start + per_txn]
            async with connection.transaction():
                await connection.executemany(t_sql, [tuple(t.values()) for t in chunk])
                await connection.executemany(
                    e_sql, [tuple(e.values()) for t in chunk for e in by_transaction[t["id"]]]
                )
        seconds = time.perf_counter() - began
    return Measured(f"raw asyncpg inserts, {per_txn} posting(s)/transaction", len(transactions), seconds)


def _insert(table: str, columns: list[str]) -> str:
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"


async def ledger_benchmark(space: BenchSpace, report: Report, *, postings: int = 20_000) -> None:
    schema = space.schema("ledger")
    await migrate(space.infra.database_url, schema, [GRANTS_MIGRATIONS])
    pool = await create_pool(space.infra.database_url, schema, min_size=1, max_size=2)
    try:
        grants = await _prepare(pool)
        single = min(postings, 2_000)
        one = await _disburse(pool, grants, single, 1)
        bulk = await _disburse(pool, grants, postings, BULK)
        raw_one = await _raw_copy(pool, single, 1, skip=0)
        raw_bulk = await _raw_copy(pool, postings, BULK, skip=single)
        entries = int(await pool.fetchval("SELECT count(*) FROM ledger_entries"))
        verdict = "chain intact" if await _chain_ok(pool) else "CHAIN BROKEN"
    finally:
        await pool.close()
    for raw, measured, target in ((raw_one, one, False), (raw_bulk, bulk, True)):
        report.add(
            Row(BENCHMARK, raw.name, {"postings/s": raw.per_second, "postings": raw.count}, baseline=True)
        )
        share = measured.per_second / raw.per_second if raw.per_second else 0.0
        report.add(
            Row(
                BENCHMARK,
                measured.name,
                {
                    "postings/s": measured.per_second,
                    "postings": measured.count,
                    "% of raw": 100 * share,
                    "ledger": f"{entries} entries, {verdict}",
                },
                target=f">= {TARGET:,.0f} postings/s" if target else None,
                met=(measured.per_second >= TARGET) if target else None,
            )
        )


async def _chain_ok(pool: asyncpg.Pool) -> bool:
    """The stored chain verifies (grants' own verifier): the benchmark wrote a real ledger."""
    from services.grants.core.ledger.audit import verify_entries

    return verify_entries([entry async for entry in ledger_reads.every_entry(pool)]).ok
