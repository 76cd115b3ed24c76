"""Retention on the real database (and broker): sent outbox rows and old inbox rows are deleted in
batches once their retention is over, nothing else is; pruning never waits for the relay; and every
service's runtime does it on its own, beside keeping the outbox gauges."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import pytest

from shared import outbox
from shared.db import Pool, create_pool, migrate, transaction
from shared.events import new_envelope
from shared.events.intake import CaseClosed
from shared.kafka.producer import create_producer
from shared.outbox import OutboxRelay
from shared.retention import prune
from shared.runtime import ServiceRuntime
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually

from .consuming import sample
from .outboxes import HoldingProducer, advisory_key, lock_sessions

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.settings.database_url, isolated.schema, [])
    pool = await create_pool(isolated.settings.database_url, isolated.schema, min_size=1, max_size=3)
    yield pool
    await pool.close()


async def queue(pool: Pool, topic: str, rows: int, *, days_ago: float = 0, sent: bool = False) -> list[int]:
    """Append `rows` events created `days_ago` days ago, and sent as long ago when `sent`."""
    async with transaction(pool) as connection:
        for _ in range(rows):
            key = str(uuid4())
            envelope = new_envelope(
                CaseClosed(case_id=key, reason="other", closed_by="x"), key=key, producer="t"
            )
            await outbox.append(connection, topic, envelope)
        ids = [
            r["id"] for r in await connection.fetch("SELECT id FROM outbox ORDER BY id DESC LIMIT $1", rows)
        ]
        await connection.execute(
            "UPDATE outbox SET created_at = now() - $1::interval,"
            " sent_at = CASE WHEN $2 THEN now() - $1::interval END WHERE id = ANY($3::bigint[])",
            timedelta(days=days_ago),
            sent,
            ids,
        )
    return sorted(ids)


async def consumed(pool: Pool, rows: int, days_ago: float) -> None:
    await pool.execute(
        "INSERT INTO inbox (consumer, event_id, topic, processed_at)"
        " SELECT 'c', gen_random_uuid(), 't', now() - $2::interval FROM generate_series(1, $1)",
        rows,
        timedelta(days=days_ago),
    )


async def test_sent_outbox_rows_and_old_inbox_rows_are_pruned_in_batches_and_nothing_else(
    isolated: Isolated, pool: Pool
) -> None:
    old_sent = await queue(pool, "t.v1", 5, days_ago=8, sent=True)
    recent = await queue(pool, "t.v1", 2, days_ago=1, sent=True)
    waiting = await queue(pool, "t.v1", 1, days_ago=10)  # never sent: however old, it stays
    await consumed(pool, 5, days_ago=31)
    await consumed(pool, 2, days_ago=1)

    assert await prune(pool, isolated.schema, "outbox", timedelta(days=7), batch_rows=2) == 5
    assert await prune(pool, isolated.schema, "inbox", timedelta(days=30), batch_rows=2) == 5

    assert [r["id"] for r in await pool.fetch("SELECT id FROM outbox ORDER BY id")] == recent + waiting
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 2
    assert not set(old_sent) & {r["id"] for r in await pool.fetch("SELECT id FROM outbox")}
    for table in ("outbox", "inbox"):
        assert sample("homeward_retention_pruned_rows_total", schema=isolated.schema, table=table) == 5


async def test_pruning_never_waits_for_a_relay_batch(isolated: Isolated, pool: Pool) -> None:
    topic = TopicSpec(f"{isolated.topic_prefix}retention.v1", partitions=1, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [topic])
    await queue(pool, topic.name, 3, days_ago=8, sent=True)
    await queue(pool, topic.name, 3)  # waiting: the relay's batch locks them
    inside, go_on = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        inside.set()
        await go_on.wait()

    producer = create_producer(isolated.settings, client_id="retention-relay")
    await producer.start()
    relay = OutboxRelay(pool, HoldingProducer(producer, hold), isolated.schema)
    batch = asyncio.create_task(relay.relay_once())
    try:
        await eventually(lambda: _is_set(inside), what="the relay inside its batch")
        async with pool.acquire() as connection:
            assert await lock_sessions(connection, advisory_key(f"outbox-batch:{isolated.schema}"))
        pruned = await asyncio.wait_for(prune(pool, isolated.schema, "outbox", timedelta(days=7), 100), 5)
        assert pruned == 3
        go_on.set()
        assert await asyncio.wait_for(batch, 10) == 3
    finally:
        go_on.set()
        await producer.stop()


async def test_a_service_prunes_its_outbox_and_reports_its_backlog_on_its_own(isolated: Isolated) -> None:
    topic = TopicSpec(f"{isolated.topic_prefix}runtime.v1", partitions=1, retention_ms=3_600_000)
    settings = isolated.settings.model_copy(
        update={
            "outbox_retention_days": 1 / 86_400,
            "retention_interval_s": 0.2,
            "outbox_metrics_interval_s": 0.2,
        }
    )
    runtime = await ServiceRuntime.start(settings, "retention", [], topics=[topic])
    schema = runtime.schema
    try:
        await eventually(
            lambda: _sample_is("homeward_outbox_relay_leader", 1, schema=schema), what="the relay leading"
        )
        await queue(runtime.pool, topic.name, 2)
        await eventually(
            lambda: _sample_is("homeward_outbox_published_total", 2, schema=schema), what="2 published"
        )

        async def pruned() -> bool:  # sent a second ago is past this runtime's retention
            return bool(await runtime.pool.fetchval("SELECT count(*) FROM outbox") == 0)

        await eventually(pruned, what="the sent rows pruned by the runtime's job")
        await eventually(
            lambda: _sample_is("homeward_outbox_backlog_rows", 0, schema=schema), what="backlog gauge"
        )
        assert sample("homeward_outbox_oldest_unsent_age_seconds", schema=schema) == 0
    finally:
        await runtime.stop()
    assert sample("homeward_outbox_relay_leader", schema=schema) == 0


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


async def _sample_is(name: str, value: float, **labels: str) -> bool:
    return sample(name, **labels) == value
