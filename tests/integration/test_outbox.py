"""The outbox against the real broker and database: nothing lost, nothing doubled, order per key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared import outbox
from shared.db import Pool, create_pool, migrate, transaction
from shared.events import new_envelope, parse_envelope
from shared.events.envelope import Envelope
from shared.events.intake import CaseClosed
from shared.kafka.producer import create_producer
from shared.outbox import OutboxRelay
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually, read_topic

pytestmark = pytest.mark.integration


class Killed(Exception):
    """Stands for the relay process dying between the broker's ack and the mark-sent commit."""


@pytest.fixture
async def topic(isolated: Isolated) -> TopicSpec:
    spec = TopicSpec(f"{isolated.topic_prefix}outbox.test.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec])
    return spec


@pytest.fixture
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    s = isolated.settings
    await migrate(s.database_url, isolated.schema, [])
    pool = await create_pool(s.database_url, isolated.schema)
    yield pool
    await pool.close()


@pytest.fixture
async def relay_factory(pool: Pool, isolated: Isolated) -> AsyncIterator[RelayFactory]:
    producers = []

    async def make(**options: Any) -> OutboxRelay:
        producer = create_producer(isolated.settings, client_id="test-relay")
        await producer.start()
        producers.append(producer)
        return OutboxRelay(pool, producer, isolated.schema, **options)

    yield make
    for producer in producers:
        await producer.stop()


RelayFactory = Callable[..., Awaitable[OutboxRelay]]


def closed_event(case_id: UUID | None = None, by: str = "u-1") -> Envelope:
    case = case_id or uuid4()
    return new_envelope(
        CaseClosed(case_id=case, reason="reintegrated", closed_by=by), key=str(case), producer="test"
    )


async def test_a_committed_row_is_published_exactly_once(
    pool: Pool, topic: TopicSpec, relay_factory: RelayFactory, isolated: Isolated
) -> None:
    envelope = closed_event()
    async with transaction(pool) as connection:
        await outbox.append(connection, topic, envelope)

    relay = await relay_factory()
    assert await relay.drain() == 1
    assert await relay.drain() == 0  # already marked sent

    records = await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name, at_least=1)
    assert [parse_envelope(r.value).event_id for r in records] == [envelope.event_id]
    assert records[0].key == envelope.key.encode()
    async with pool.acquire() as connection:
        assert await outbox.unsent_count(connection) == 0


async def test_a_rolled_back_transaction_publishes_nothing(
    pool: Pool, topic: TopicSpec, relay_factory: RelayFactory, isolated: Isolated
) -> None:
    async def queue_then_fail() -> None:
        async with transaction(pool) as connection:
            await outbox.append(connection, topic, closed_event())
            raise RuntimeError("the state change failed after the event was queued")

    with pytest.raises(RuntimeError):
        await queue_then_fail()

    relay = await relay_factory()
    assert await relay.drain() == 0
    assert await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name) == []


async def test_a_relay_killed_after_the_ack_republishes_and_the_copy_is_harmless(
    pool: Pool, topic: TopicSpec, relay_factory: RelayFactory, isolated: Isolated
) -> None:
    envelopes = [closed_event() for _ in range(3)]
    async with transaction(pool) as connection:
        await outbox.append_many(connection, [(topic, e) for e in envelopes])

    async def die(rows: object) -> None:
        raise Killed

    doomed = await relay_factory(after_publish=die)
    with pytest.raises(Killed):
        await doomed.relay_once()
    async with pool.acquire() as connection:
        assert await outbox.unsent_count(connection) == 3  # the broker has them; the rows say unsent

    survivor = await relay_factory()
    assert await survivor.drain() == 3

    records = await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name, at_least=6)
    ids = [parse_envelope(r.value).event_id for r in records]
    assert sorted(ids) == sorted([e.event_id for e in envelopes] * 2)  # each one twice: at least once

    # what a consumer does with the copies: the inbox lets each event take effect once
    from shared.inbox import first_delivery

    effects = 0
    async with transaction(pool) as connection:
        for record in records:
            envelope = parse_envelope(record.value)
            if await first_delivery(connection, "test-consumer", envelope.event_id, record.topic):
                effects += 1
    assert effects == 3


async def test_order_per_key_holds_across_batches(
    pool: Pool, topic: TopicSpec, relay_factory: RelayFactory, isolated: Isolated
) -> None:
    keys = [str(uuid4()) for _ in range(5)]
    sent: dict[str, list[str]] = {k: [] for k in keys}
    for round_ in range(8):  # eight transactions, several batches each
        async with transaction(pool) as connection:
            items = []
            for key in keys:
                envelope = new_envelope(
                    CaseClosed(case_id=key, reason="other", closed_by=f"{round_}"), key=key, producer="test"
                )
                sent[key].append(str(envelope.event_id))
                items.append((topic, envelope))
            await outbox.append_many(connection, items)

    relay = await relay_factory(batch_size=7)
    assert await relay.drain() == 40

    records = await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name, at_least=40)
    received: dict[str, list[str]] = {k: [] for k in keys}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = parse_envelope(record.value)
        received[envelope.key].append(str(envelope.event_id))
    assert received == sent


async def test_the_running_relay_is_woken_by_the_commit_not_the_poll(
    pool: Pool, topic: TopicSpec, relay_factory: RelayFactory, isolated: Isolated
) -> None:
    relay = await relay_factory(poll_interval_s=60.0)  # polling alone would take a minute
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0)  # let it take the lock and LISTEN
        await eventually(lambda: _has_listener(pool, isolated.schema), what="the relay to LISTEN")
        envelope = closed_event()
        async with transaction(pool) as connection:
            await outbox.append(connection, topic, envelope)
        records = await read_topic(
            isolated.settings.kafka_bootstrap_servers, topic.name, at_least=1, timeout=10
        )
        assert parse_envelope(records[0].value).event_id == envelope.event_id
    finally:
        relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


async def _has_listener(pool: Pool, schema: str) -> bool:
    async with pool.acquire() as connection:
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1", f"%LISTEN%outbox_{schema}%"
            )
        )


async def test_migrations_apply_once_and_are_recorded(isolated: Isolated, database_url: str) -> None:
    again = await migrate(database_url, isolated.schema, [])  # the `pool` fixture is not used here
    assert again == ["sql/0001_outbox_inbox.sql", "sql/0002_outbox_parking_and_retention.sql"]
    assert await migrate(database_url, isolated.schema, []) == []
