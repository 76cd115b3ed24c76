"""Stopping the outbox relay, on the real broker and database: `stop()` lets the current batch
finish and publishes no other; a service's runtime waits for that only as long as its time limit,
then cancels the batch, which is rolled back (it is published again by the next leader)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from shared import outbox
from shared.db import Pool, create_pool, migrate
from shared.kafka.producer import create_producer
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually, read_topic

from .outboxes import HoldingProducer, append_rounds

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(isolated: Isolated) -> TopicSpec:
    spec = TopicSpec(f"{isolated.topic_prefix}stopping.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec])
    return spec


@pytest.fixture
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.settings.database_url, isolated.schema, [])
    pool = await create_pool(isolated.settings.database_url, isolated.schema, min_size=1, max_size=3)
    yield pool
    await pool.close()


async def test_stop_lets_the_current_batch_finish_and_publishes_no_other(
    isolated: Isolated, topic: TopicSpec, pool: Pool
) -> None:
    await append_rounds(pool, topic.name, keys=4, rounds=10)
    producer = create_producer(isolated.settings, client_id="stopping-relay")
    await producer.start()

    async def stop_now(rows: object) -> None:  # the first batch is out: shut down meanwhile
        relay.stop()

    relay = OutboxRelay(
        pool, producer, isolated.schema, batch_size=5, poll_interval_s=0.1, after_publish=stop_now
    )
    try:
        await asyncio.wait_for(relay.run(), 10)
    finally:
        await producer.stop()

    async with pool.acquire() as connection:
        assert await outbox.unsent_count(connection) == 35
    assert len(await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name, at_least=5)) == 5


async def test_a_service_stops_its_relay_within_the_time_limit_and_the_batch_is_rolled_back(
    isolated: Isolated, topic: TopicSpec, pool: Pool
) -> None:
    settings = isolated.settings.model_copy(update={"outbox_stop_timeout_s": 1.0})
    runtime = await ServiceRuntime.start(settings, "stopping", [], topics=[topic])
    inside, released = asyncio.Event(), asyncio.Event()

    async def hang() -> None:  # a broker that never answers
        inside.set()
        await released.wait()

    runtime.relay.producer = HoldingProducer(runtime.relay.producer, hang)
    try:
        await append_rounds(runtime.pool, topic.name, keys=3, rounds=1)

        async def publishing() -> bool:
            return inside.is_set()

        await eventually(publishing, what="the relay inside a batch")
        started = time.monotonic()
        await asyncio.wait_for(runtime.stop(), 15)
        took = time.monotonic() - started
    finally:
        released.set()

    assert took < 1.0 + 3.0, f"stopping took {took:.1f} s"
    async with pool.acquire() as connection:
        assert await outbox.unsent_count(connection) == 3  # nothing marked sent: published again later
