"""Two relays on one schema and a leader killed in the middle of a batch, on the real broker and
database: per-key order holds across the change of leader, and a relay that lost its lock publishes
no further batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from shared import outbox
from shared.db import create_pool, migrate
from shared.kafka.producer import create_producer
from shared.outbox import OutboxRelay
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually, read_topic

from .outboxes import HoldingProducer, advisory_key, append_rounds, first_occurrences, lock_sessions

pytestmark = pytest.mark.integration

KEYS, ROUNDS, BATCH = 6, 10, 9


@pytest.mark.parametrize("kill", ["lock-session-terminated", "all-sessions-terminated", "task-cancelled"])
async def test_per_key_order_holds_when_the_leader_is_killed_mid_batch(
    isolated: Isolated, kafka_bootstrap: str, database_url: str, kill: str
) -> None:
    topic = TopicSpec(f"{isolated.topic_prefix}leaders.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(kafka_bootstrap, [topic])
    await migrate(database_url, isolated.schema, [])
    pools = [await create_pool(database_url, isolated.schema, min_size=1, max_size=3) for _ in "ab"]
    producers = [create_producer(isolated.settings, client_id=f"relay-{name}") for name in "ab"]
    for producer in producers:
        await producer.start()
    admin = await asyncpg.create_pool(database_url, min_size=1, max_size=2)  # the test's and the killer's
    leader_lock = advisory_key(f"outbox-relay:{isolated.schema}")
    batch_lock = advisory_key(f"outbox-batch:{isolated.schema}")
    sent = await append_rounds(pools[0], topic.name, KEYS, ROUNDS)
    batches = {"a": 0, "b": 0}
    tasks: dict[str, asyncio.Task[None]] = {}
    standby_started = asyncio.Event()

    def count(relay: str) -> Callable[[object], Awaitable[None]]:
        async def published(rows: object) -> None:
            batches[relay] += 1

        return published

    async def kill_the_leader() -> None:
        """A has chosen its first batch and publishes nothing yet: end its lock session, and wait
        until B leads and goes on (B publishes, or waits for A's batch to end)."""
        await standby_started.wait()
        [listener] = await lock_sessions(admin, leader_lock)
        await admin.execute("SELECT pg_terminate_backend($1)", listener)

        async def b_goes_on() -> bool:
            return batches["b"] > 0 or bool(await lock_sessions(admin, batch_lock, granted=False))

        await eventually(b_goes_on, what="the standby to lead and start a batch")
        if kill == "all-sessions-terminated":  # as if A's process froze with its connections cut
            for pid in await lock_sessions(admin, batch_lock):
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
        if kill == "task-cancelled":
            tasks["a"].cancel()

    holding = HoldingProducer(producers[0], kill_the_leader)
    relay_a = OutboxRelay(
        pools[0],
        holding,
        isolated.schema,
        batch_size=BATCH,
        poll_interval_s=0.1,
        after_publish=count("a"),
    )
    relay_b = OutboxRelay(
        pools[1],
        producers[1],
        isolated.schema,
        batch_size=BATCH,
        poll_interval_s=0.1,
        after_publish=count("b"),
    )
    tasks["a"] = asyncio.create_task(relay_a.run())
    try:
        await eventually(lambda: lock_sessions(admin, leader_lock), what="relay A to lead")
        tasks["b"] = asyncio.create_task(relay_b.run())
        standby_started.set()

        async def all_sent() -> bool:
            async with pools[1].acquire() as connection:
                return await outbox.unsent_count(connection) == 0

        await eventually(all_sent, timeout=30, what="every row published")
        await holding.first_send_done()
        records = await read_topic(kafka_bootstrap, topic.name, at_least=KEYS * ROUNDS)
    finally:
        for relay in (relay_a, relay_b):
            relay.stop()
        for task in tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
        for producer in producers:
            await producer.stop()
        for pool in pools:
            await pool.close()
        await admin.close()

    assert first_occurrences(records) == sent  # every event, each key's in the order appended
    # A published at most the batch it was inside when it lost its lock, and none after
    assert batches["a"] <= 1, f"relay A published {batches['a']} batches"
