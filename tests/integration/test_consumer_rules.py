"""The consuming rules on a real broker and database: dead letters, transient faults, redelivery.

A small consumer built the way every service builds one (shared broker factory, `apply_once`)
records each event's effect in a table; the tests check that table, the DLQ and the offsets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker

from shared.db import Connection, Pool, create_pool, migrate
from shared.events import Envelope, new_envelope
from shared.events.intake import CaseClosed
from shared.inbox import apply_once
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX
from shared.kafka.subscriptions import subscriber_options
from shared.settings import Settings
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import CuttableProxy, eventually, headers_of, publish, read_topic

pytestmark = pytest.mark.integration

EFFECTS_TABLE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid, case_id uuid, closed_by text)"


@dataclass
class Consumer:
    broker: KafkaBroker
    pool: Pool
    topic: TopicSpec

    async def effects(self) -> list[tuple[str, str]]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch("SELECT case_id, closed_by FROM effects ORDER BY closed_by")
        return [(str(r["case_id"]), r["closed_by"]) for r in rows]


async def start_consumer(settings: Settings, schema: str, topic: TopicSpec, database_url: str) -> Consumer:
    await migrate(settings.database_url, schema, [])
    pool = await create_pool(database_url, schema, min_size=1, max_size=2)
    async with pool.acquire() as connection:
        await connection.execute(EFFECTS_TABLE)
    broker = create_broker(settings, "test")

    async def record_effect(connection: Connection, envelope: Envelope) -> None:
        event = envelope.event_as(CaseClosed)
        await connection.execute(
            "INSERT INTO effects VALUES ($1, $2, $3)", envelope.event_id, event.case_id, event.closed_by
        )

    async def handle(body: bytes) -> None:
        await apply_once(pool, "test-consumer", topic.name, body, record_effect)

    # registered by call, as the services do: the decorator's type is opaque to mypy
    broker.subscriber(topic.name, **subscriber_options(f"{topic.name}.test-consumer"))(handle)

    await broker.start()
    return Consumer(broker, pool, topic)


@pytest.fixture
async def topic(isolated: Isolated) -> TopicSpec:
    spec = TopicSpec(f"{isolated.topic_prefix}consumer.test.v1", partitions=1, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec, spec.dlq])
    return spec


@pytest.fixture
async def consumer(isolated: Isolated, topic: TopicSpec) -> AsyncIterator[Consumer]:
    started = await start_consumer(isolated.settings, isolated.schema, topic, isolated.settings.database_url)
    yield started
    await started.broker.stop()
    await started.pool.close()


def closed(by: str) -> Envelope:
    case = uuid4()
    return new_envelope(
        CaseClosed(case_id=case, reason="reintegrated", closed_by=by), key=str(case), producer="test"
    )


async def test_an_unparseable_message_is_dead_lettered_and_the_consumer_goes_on(
    consumer: Consumer, topic: TopicSpec, kafka_bootstrap: str
) -> None:
    good = closed("after-the-poison")
    await publish(kafka_bootstrap, topic.name, [b"{not json at all", good.to_bytes()], key=b"case-1")

    await eventually(consumer.effects, what="the good message's effect")
    assert await consumer.effects() == [(good.data["case_id"], "after-the-poison")]

    dead = await read_topic(kafka_bootstrap, topic.dlq.name, at_least=1)
    assert [d.value for d in dead] == [b"{not json at all"]
    headers = headers_of(dead[0])
    assert headers[f"{DLQ_HEADER_PREFIX}source-topic"] == topic.name
    assert headers[f"{DLQ_HEADER_PREFIX}source-partition"] == "0"
    assert headers[f"{DLQ_HEADER_PREFIX}source-offset"] == "0"
    # which group refused it: several groups read one topic, and each dead-letters its own copy
    assert headers[f"{DLQ_HEADER_PREFIX}consumer-group"] == f"{topic.name}.test-consumer"
    assert headers[f"{DLQ_HEADER_PREFIX}error-type"] == "MalformedEvent"
    assert "not an event envelope" in headers[f"{DLQ_HEADER_PREFIX}error"]
    assert dead[0].key == b"case-1"


async def test_an_event_that_breaks_its_model_is_dead_lettered(
    consumer: Consumer, topic: TopicSpec, kafka_bootstrap: str
) -> None:
    wrong = closed("x").model_copy(update={"data": {"case_id": "not-a-uuid", "reason": "reintegrated"}})
    good = closed("fine")
    await publish(kafka_bootstrap, topic.name, [wrong.to_bytes(), good.to_bytes()])

    await eventually(consumer.effects, what="the good message's effect")
    dead = await read_topic(kafka_bootstrap, topic.dlq.name, at_least=1)
    assert len(dead) == 1
    assert "case_id" in headers_of(dead[0])[f"{DLQ_HEADER_PREFIX}error"]
    assert await consumer.effects() == [(good.data["case_id"], "fine")]


async def test_a_redelivered_event_has_no_second_effect(
    consumer: Consumer, topic: TopicSpec, kafka_bootstrap: str
) -> None:
    event, marker = closed("once"), closed("zz-marker")
    await publish(kafka_bootstrap, topic.name, [event.to_bytes(), event.to_bytes(), marker.to_bytes()])

    await eventually(lambda: _has(consumer, "zz-marker"), what="the marker to be processed")
    assert await consumer.effects() == [
        (event.data["case_id"], "once"),
        (marker.data["case_id"], "zz-marker"),
    ]


async def test_a_transient_database_fault_is_retried_not_dead_lettered(
    isolated: Isolated, topic: TopicSpec, kafka_bootstrap: str, database_url: str
) -> None:
    # the consumer reaches PostgreSQL through a proxy the test can cut: the database really goes away
    target = urlsplit(database_url)
    proxy = CuttableProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied_url = urlunsplit(target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}"))
    settings = isolated.settings.model_copy(update={"consumer_max_attempts": 3})
    consumer = await start_consumer(settings, isolated.schema, topic, proxied_url)
    try:
        warmup = closed("a-before")
        await publish(kafka_bootstrap, topic.name, [warmup.to_bytes()])
        await eventually(consumer.effects, what="the first effect")

        await proxy.cut()
        during = closed("b-during-the-outage")
        await publish(kafka_bootstrap, topic.name, [during.to_bytes()])
        # long enough for the in-process retries to run out and the message to be sought back
        await eventually(
            lambda: _committed_offset_is(kafka_bootstrap, topic, 1, stay_for=3.0),
            timeout=10,
            what="the consumer to hold its offset during the outage",
        )
        await proxy.heal()

        await eventually(
            lambda: _has(consumer, "b-during-the-outage"),
            timeout=20,
            what="the message to be processed once the database is back",
        )
        assert [by for _, by in await consumer.effects()] == ["a-before", "b-during-the-outage"]
        assert await read_topic(kafka_bootstrap, topic.dlq.name) == []
    finally:
        await consumer.broker.stop()
        await consumer.pool.close()
        await proxy.stop()


async def _has(consumer: Consumer, closed_by: str) -> bool:
    return closed_by in [by for _, by in await consumer.effects()]


async def _committed_offset_is(bootstrap: str, topic: TopicSpec, offset: int, stay_for: float) -> bool:
    """True when the group's committed offset equals `offset` for `stay_for` seconds on end."""
    import asyncio
    import time

    from aiokafka import TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        until = time.monotonic() + stay_for
        while time.monotonic() < until:
            offsets = await admin.list_consumer_group_offsets(f"{topic.name}.test-consumer")
            committed = offsets.get(TopicPartition(topic.name, 0))
            if committed is None or committed.offset != offset:
                return False
            await asyncio.sleep(0.2)
        return True
    finally:
        await admin.close()
