"""When the service signs and when it will not: after M minutes, at shutdown, never over entries an
insider rewrote in the database; and entries written before the full hash form keep verifying
after the migration that introduced it. Each test runs its own grants service (its own schema)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from services.grants.app import MIGRATIONS, create_app
from services.grants.core.ledger.chain import GENESIS_HASH, ChainedEntry, sealed
from services.grants.core.ledger.postings import funding_received
from services.grants.settings import LedgerSettings, load_signing
from services.grants.store import ledger as ledger_store
from services.grants.store.ledger_reads import every_entry
from services.grants.use_cases.audit import verify_database_chain
from services.grants.use_cases.checkpoints import LedgerDoesNotVerify, sign_checkpoint_if_due
from services.grants.use_cases.context import GrantsContext
from shared.db import Pool, create_pool, migrate, transaction
from shared.money import Money
from shared.topics import Topics
from tests.conftest import Isolated, new_isolation, release_isolation
from tests.unit.grants.builders import demo_policies
from tests.unit.grants.signed_ledger import chained, grant_lives

pytestmark = pytest.mark.integration
PROGRAMME = "DE-STARTHILFEPLUS"


@pytest.fixture
async def isolation(kafka_bootstrap: str, database_url: str) -> AsyncIterator[Isolated]:
    isolated = new_isolation(kafka_bootstrap, database_url)
    yield isolated
    await release_isolation(isolated)


@asynccontextmanager
async def grants_running(isolation: Isolated) -> AsyncIterator[GrantsContext]:
    """A grants service that signs after 100 entries or 10 minutes, its job looking once an hour
    (the tests sign themselves)."""
    app = create_app(
        isolation.settings,
        ledger_settings=LedgerSettings(checkpoint_check_interval_s=3600),
        due_check_interval_s=3600,
    )
    async with app.router.lifespan_context(app):
        yield app.state.grants


@asynccontextmanager
async def as_owner(isolation: Isolated) -> AsyncIterator[asyncpg.Connection]:
    """What only the owner of the tables can do (the service's own role owns nothing)."""
    connection = await asyncpg.connect(
        isolation.settings.owner_url(), server_settings={"search_path": isolation.schema}
    )
    try:
        yield connection
    finally:
        await connection.close()


async def fund(context: GrantsContext, times: int = 1) -> None:
    async with transaction(context.pool) as connection:
        for _ in range(times):
            posting = funding_received(
                PROGRAMME, Money(amount=10_000, currency="EUR"), idempotency_key=uuid4().hex, reference="t"
            )
            await ledger_store.append_posting(connection, posting, recorded_by="fin-a")


async def test_waiting_entries_are_signed_after_m_minutes(isolation: Isolated) -> None:
    async with grants_running(isolation) as context:
        await fund(context)
        recorded = await context.pool.fetchval("SELECT recorded_at FROM ledger_entries WHERE seq = 1")
        assert await sign_checkpoint_if_due(context, now=recorded + timedelta(minutes=9, seconds=59)) is None
        signed = await sign_checkpoint_if_due(context, now=recorded + timedelta(minutes=10))
        assert signed is not None
        assert (signed.number, signed.entry_count) == (1, 2)
        assert await context.pool.fetchval("SELECT reason FROM ledger_checkpoints") == "interval"
        assert await sign_checkpoint_if_due(context, now=recorded + timedelta(hours=1)) is None  # nothing new


async def test_the_service_signs_what_waits_when_it_stops(isolation: Isolated) -> None:
    async with grants_running(isolation) as context:
        await fund(context)
        assert await sign_checkpoint_if_due(context) is None  # 2 entries, a moment old: not due
        topic = context.topics.ledger_checkpoints.name
    # stopped: its pool is closed, its schema still there
    connection = await asyncpg.connect(
        isolation.settings.database_url, server_settings={"search_path": isolation.schema}
    )
    try:
        rows = await connection.fetch("SELECT number, entry_count, reason FROM ledger_checkpoints")
        assert [tuple(r) for r in rows] == [(1, 2, "shutdown")]
        queued = await connection.fetchval("SELECT count(*) FROM outbox WHERE topic = $1", topic)
        assert queued == 1  # published then, or by the next start's relay
    finally:
        await connection.close()


async def test_an_insider_rewrite_in_the_database_is_never_signed(
    isolation: Isolated,
) -> None:
    """The owner of the tables turns the append-only trigger off, changes a signed payment and
    recomputes every hash after it, chain head included: the next round signs nothing, and the
    service's own check names the entry the checkpoint pins."""
    async with grants_running(isolation) as context:
        await fund(context, times=2)
        first = await sign_checkpoint_if_due(context, shutdown=True)
        assert first is not None
        await fund(context)
        async with as_owner(isolation) as connection, connection.transaction():
            await connection.execute("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only")
            await connection.execute("UPDATE ledger_entries SET amount = 99 WHERE seq IN (1, 2)")
            previous = GENESIS_HASH
            rewritten = [e async for e in every_entry(connection)]
            for entry in rewritten:
                entry = sealed(entry.model_copy(update={"prev_hash": previous}))
                await connection.execute(
                    "UPDATE ledger_entries SET prev_hash = $1, hash = $2 WHERE seq = $3",
                    entry.prev_hash,
                    entry.hash,
                    entry.seq,
                )
                previous = entry.hash
            await connection.execute("UPDATE ledger_chain_head SET last_hash = $1", previous)
            await connection.execute("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only")

        assert (await verify_database_chain(context.pool)).ok  # the chain alone cannot tell
        with pytest.raises(LedgerDoesNotVerify, match="not signing entries 5-6: FAILED at entry 5"):
            await sign_checkpoint_if_due(context, shutdown=True)
        assert await context.pool.fetchval("SELECT count(*) FROM ledger_checkpoints") == 1
        verdict = await verify_database_chain(context.pool, context.signing.public_keys)
        assert (verdict.ok, verdict.first_bad_seq) == (False, 4)
        assert "the change lies in entries 1-4 (no earlier checkpoint)" in (verdict.problem or "")


async def test_an_altered_stored_checkpoint_is_never_continued(
    isolation: Isolated,
) -> None:
    async with grants_running(isolation) as context:
        await fund(context, times=2)
        assert await sign_checkpoint_if_due(context, shutdown=True) is not None
        await fund(context)
        async with as_owner(isolation) as connection, connection.transaction():
            await connection.execute(
                "ALTER TABLE ledger_checkpoints DISABLE TRIGGER ledger_checkpoints_append_only"
            )
            await connection.execute("UPDATE ledger_checkpoints SET frontier = ARRAY[repeat('0', 64)]")
            await connection.execute(
                "ALTER TABLE ledger_checkpoints ENABLE TRIGGER ledger_checkpoints_append_only"
            )
        with pytest.raises(LedgerDoesNotVerify, match="Merkle frontier stored with checkpoint #1"):
            await sign_checkpoint_if_due(context, shutdown=True)


async def test_entries_written_before_the_full_hash_form_keep_verifying(
    isolation: Isolated, tmp_path: Path
) -> None:
    """A ledger written by the previous release (hash version 1, no hash_version column), migrated,
    then appended to by this one: both kinds verify, against checkpoints too."""
    database_url = isolation.settings.database_url
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS.glob("000*.sql")):
        shutil.copy(path, old / path.name)
    await migrate(database_url, isolation.schema, [old])
    pool = await create_pool(database_url, isolation.schema, min_size=1, max_size=1)
    try:
        # funded, committed, paid: what the previous release wrote, version-1 hashes
        legacy = [e.model_copy(update={"hash_version": 1}) for e in chained(grant_lives(1)[0][:3])]
        previous, written = GENESIS_HASH, []
        for entry in legacy:
            entry = sealed(entry.model_copy(update={"prev_hash": previous}))
            written.append(entry)
            previous = entry.hash
        await _write_as_the_previous_release(pool, written)
        await migrate(database_url, isolation.schema, [MIGRATIONS])
        async with transaction(pool) as connection:
            posting = funding_received(
                "NL-AVRR", Money(amount=5_000, currency="EUR"), idempotency_key="after", reference="t"
            )
            await ledger_store.append_posting(connection, posting, recorded_by="fin-a")
        versions = [
            r["hash_version"]
            for r in await pool.fetch("SELECT hash_version FROM ledger_entries ORDER BY seq")
        ]
        assert versions == [1] * 6 + [2, 2]
        verdict = await verify_database_chain(pool)
        assert verdict.ok, verdict.line()
        assert verdict.entries_checked == 8
        # the signer checks both kinds before it signs them
        signing = load_signing(LedgerSettings())
        context = GrantsContext(pool, Topics(isolation.topic_prefix), demo_policies(), signing)
        signed = await sign_checkpoint_if_due(context, shutdown=True)
        assert signed is not None
        assert signed.entry_count == 8
        assert (await verify_database_chain(pool, signing.public_keys)).covered_entries == 8
    finally:
        await pool.close()


async def _write_as_the_previous_release(pool: Pool, entries: list[ChainedEntry]) -> None:
    async with transaction(pool) as connection:
        await connection.execute(
            "INSERT INTO programmes (id, name, currency) VALUES ('NL-AVRR', 'NL', 'EUR')"
        )
        seen = set()
        for e in entries:
            if e.transaction_id not in seen:
                seen.add(e.transaction_id)
                await connection.execute(
                    "INSERT INTO ledger_transactions (id, kind, idempotency_key, fingerprint, programme_id,"
                    " grant_id,"
                    " installment_id, reverses, memo, recorded_by, recorded_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    e.transaction_id,
                    e.kind,
                    e.idempotency_key,
                    e.transaction_fingerprint,
                    e.transaction_programme_id,
                    e.transaction_grant_id,
                    e.installment_id,
                    e.reverses,
                    e.memo,
                    e.recorded_by,
                    e.recorded_at,
                )
            await connection.execute(
                "INSERT INTO ledger_entries (seq, entry_id, transaction_id, account, account_kind,"
                " programme_id,"
                " grant_id, direction, amount, currency, recorded_at, prev_hash, hash)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                e.seq,
                e.entry_id,
                e.transaction_id,
                e.account,
                e.account_kind,
                e.programme_id,
                e.grant_id,
                e.direction,
                e.amount,
                e.currency,
                e.recorded_at,
                e.prev_hash,
                e.hash,
            )
        last = entries[-1]
        await connection.execute(
            "UPDATE ledger_chain_head SET last_seq = $1, last_hash = $2", last.seq, last.hash
        )
