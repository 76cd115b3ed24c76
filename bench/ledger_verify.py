"""The ledger verify (`GET /v1/ledger/verify`'s use case, `verify_database_chain`) as the ledger
grows: seconds, entries/s and how much the process's resident memory rose at its peak during the
walk, at a first size and at a size ten times larger (1,000,000 entries by default). A verify that
streams through a server-side cursor rises by the same few megabytes at both sizes; one that held
the ledger would rise ten times as much at the larger one.

The ledger is written through grants' own code path (`store.ledger.append_postings`, 500 postings
per transaction: the chain head, SHA-256 per entry, the deferred balance check at commit), so every
entry is one the service itself could have written and the verify's verdict must be OK. Seeding is
not timed."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.grants.core.ledger.journal import journal_values
from services.grants.core.ledger.postings import Posting, commitment, disbursement
from services.grants.store import ledger as ledger_store
from services.grants.use_cases.audit import verify_database_chain
from shared.db import Pool, create_pool, migrate
from shared.events.ids import uuid7
from shared.money import Money

from .env import BenchSpace
from .ledger import GRANTS_MIGRATIONS, fund
from .report import Report, Row

ENTRIES_PER_GRANT = 6  # a commitment and two installments paid, two lines each
BATCH = 500


def grant_postings(programme: str, grant: uuid.UUID) -> Iterator[Posting]:
    """What one grant leaves in the ledger by its second installment."""
    yield commitment(programme, grant, Money(amount=200_000, currency="EUR"))
    for n in (1, 2):
        installment = uuid.uuid4()
        yield disbursement(
            programme,
            grant,
            installment,
            Money(amount=50_000, currency="EUR"),
            idempotency_key=f"disbursement:{installment}",
            memo=f"bank_transfer; ref BENCH-{n}",
        )


async def add_grants(pool: Pool, programme: str, grants: list[uuid.UUID]) -> None:
    """Each grant's postings through grants' own append, BATCH postings per transaction (the
    database's commit-time checks included): what the caseload benchmark seeds."""
    postings = [p for grant in grants for p in grant_postings(programme, grant)]
    async with pool.acquire() as connection:
        for start in range(0, len(postings), BATCH):
            async with connection.transaction():
                await ledger_store.append_postings(
                    connection, postings[start : start + BATCH], "bench-officer"
                )


_TRANSACTION_COLUMNS = (
    "id",
    "kind",
    "idempotency_key",
    "fingerprint",
    "programme_id",
    "grant_id",
    "installment_id",
    "reverses",
    "memo",
    "recorded_by",
    "recorded_at",
)
_ENTRY_COLUMNS = (
    "seq",
    "entry_id",
    "transaction_id",
    "account",
    "account_kind",
    "programme_id",
    "grant_id",
    "direction",
    "amount",
    "currency",
    "recorded_at",
    "prev_hash",
    "hash",
    "hash_version",
)


async def copy_grants(pool: Pool, programme: str, grants: list[uuid.UUID]) -> None:
    """The same rows `append_postings` writes for these grants (grants' own `journal_values`:
    the same chain and hashes, gapless `seq`, the head moved), bulk-loaded with COPY and the
    commit-time balance triggers off for the load (`session_replication_role = replica`, which
    needs a superuser): a million entries in a minute or two, where the checked path takes a
    quarter of an hour. Every posting balances by construction, and the verify checks that too."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL session_replication_role = replica")
        head = await connection.fetchrow("SELECT last_seq, last_hash FROM ledger_chain_head FOR UPDATE")
        if head is None:
            raise RuntimeError("ledger_chain_head has no row: the ledger migration seeds it")
        seq, previous = int(head["last_seq"]), str(head["last_hash"])
        recorded_at = datetime.now(UTC)
        transactions: list[tuple[object, ...]] = []
        entries: list[tuple[object, ...]] = []
        for grant in grants:
            for posting in grant_postings(programme, grant):
                transaction_id, fingerprint = uuid7(), posting.fingerprint()
                transactions.append(
                    (
                        transaction_id,
                        posting.kind.value,
                        posting.idempotency_key,
                        fingerprint,
                        posting.programme_id,
                        posting.grant_id,
                        posting.installment_id,
                        posting.reverses,
                        posting.memo,
                        "bench-officer",
                        recorded_at,
                    )
                )
                values = journal_values(
                    posting,
                    transaction_id=transaction_id,
                    fingerprint=fingerprint,
                    recorded_by="bench-officer",
                    recorded_at=recorded_at,
                    after_seq=seq,
                    after_hash=previous,
                )
                entries.extend(tuple(e[c] for c in _ENTRY_COLUMNS) for e in values)
                seq, previous = values[-1]["seq"], values[-1]["hash"]
        await connection.copy_records_to_table(
            "ledger_transactions", records=transactions, columns=_TRANSACTION_COLUMNS
        )
        await connection.copy_records_to_table("ledger_entries", records=entries, columns=_ENTRY_COLUMNS)
        await connection.execute(
            "UPDATE ledger_chain_head SET last_seq = $1, last_hash = $2 WHERE id = 1", seq, previous
        )


async def grow_ledger(pool: Pool, programme: str, entries: int) -> None:
    """Add grants (bulk-loaded) until the ledger holds at least `entries` entries."""
    have = int(await pool.fetchval("SELECT count(*) FROM ledger_entries"))
    missing = max(0, entries - have)
    grants = [uuid.uuid4() for _ in range(-(-missing // ENTRIES_PER_GRANT))]
    for start in range(0, len(grants), 10_000):
        await copy_grants(pool, programme, grants[start : start + 10_000])


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True)
class VerifyRun:
    entries: int
    seconds: float
    ok: bool
    peak_rise_mib: float  # the peak resident set during the verify, above what it held before

    @property
    def per_second(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0


async def timed_verify(pool: Pool) -> VerifyRun:
    """The verify in this process (its memory figure means little here: see `verify_in_child`)."""
    before = _status_kib("VmRSS")
    began = time.perf_counter()
    verdict = await verify_database_chain(pool)
    seconds = time.perf_counter() - began
    return VerifyRun(
        verdict.entries_checked, seconds, verdict.ok, max(0, _status_kib("VmHWM") - before) / 1024
    )


async def verify_in_child(dsn: str, schema: str) -> VerifyRun:
    """The verify in a fresh process, so its peak resident set is the verify's own, not the
    bench's (which has just built a million entries to seed)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.ledger_verify", dsn, schema, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the verify process exited with {child.returncode}")
    return VerifyRun(**json.loads(out.decode().strip().splitlines()[-1]))


async def _child(dsn: str, schema: str) -> None:
    pool = await create_pool(dsn, schema, min_size=1, max_size=1)
    try:
        await pool.fetchval("SELECT 1")  # connected, statements cache warm: what the verify adds is its own
        run = await timed_verify(pool)
    finally:
        await pool.close()
    print(json.dumps(asdict(run)))


async def ledger_verify_benchmark(
    space: BenchSpace, report: Report, *, entries: int = 1_000_000, first: int | None = None
) -> None:
    """The verify at `first` entries (a tenth of `entries` by default) and at `entries`."""
    schema = space.schema("verify_ledger")
    await migrate(space.infra.database_url, schema, [GRANTS_MIGRATIONS])
    pool = await create_pool(space.infra.database_url, schema, min_size=1, max_size=2)
    runs: list[VerifyRun] = []
    try:
        await fund(pool, "BENCH-VERIFY")
        for size in (first or max(entries // 10, 1), entries):
            began = time.perf_counter()
            await grow_ledger(pool, "BENCH-VERIFY", size)
            print(f"ledger verify: {size:,} entries seeded in {time.perf_counter() - began:.0f}s", flush=True)
            runs.append(await verify_in_child(space.infra.database_url, schema))
    finally:
        await pool.close()
    small, large = runs
    for run in runs:
        report.add(
            Row(
                "ledger verify",
                f"GET /v1/ledger/verify's walk, {run.entries:,} entries",
                {
                    "seconds": run.seconds,
                    "entries/s": run.per_second,
                    "peak RSS rise MiB": run.peak_rise_mib,
                    "verdict": "OK" if run.ok else "FAILED",
                },
                target="< 60 s" if run is large else None,
                met=(run.seconds < 60 and run.ok) if run is large else None,
            )
        )
    # constant memory: ten times the entries, not ten times the memory (a few MiB of noise allowed)
    report.add(
        Row(
            "ledger verify",
            f"peak RSS rise at {large.entries:,} vs {small.entries:,} entries",
            {"ratio": large.peak_rise_mib / small.peak_rise_mib if small.peak_rise_mib else None},
            target="constant memory (<= 2x for 10x the entries)",
            met=large.peak_rise_mib <= max(2 * small.peak_rise_mib, small.peak_rise_mib + 16),
        )
    )


if __name__ == "__main__":  # python -m bench.ledger_verify DSN SCHEMA: one verify, its figures as JSON
    asyncio.run(_child(sys.argv[1], sys.argv[2]))
