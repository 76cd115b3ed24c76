"""A relay whose producer died keeps publishing with a new one.

aiokafka's idempotent producer gives up for good on some broker answers: after a broker restart
under load, an OutOfOrderSequenceNumber kills its background sender, which then fails every later
send with a copy of the error. Only a new producer (a new producer id) sends again."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, OutOfOrderSequenceNumber

from shared import outbox
from shared.runtime import ServiceRuntime
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually, read_topic

from .outboxes import append_rounds

pytestmark = pytest.mark.integration


@pytest.fixture
async def topic(isolated: Isolated) -> TopicSpec:
    spec = TopicSpec(f"{isolated.topic_prefix}outbox.producer.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec])
    return spec


async def test_a_relay_whose_producer_died_publishes_everything_with_a_new_one(
    isolated: Isolated, topic: TopicSpec
) -> None:
    runtime = await ServiceRuntime.start(isolated.settings, "renewing", [], topics=[topic])
    try:
        dead = runtime.relay.producer
        # what aiokafka's Sender._fail_all does when its sender task dies of this broker answer
        dead._message_accumulator.fail_all(OutOfOrderSequenceNumber())
        sent = await append_rounds(runtime.pool, topic.name, keys=4, rounds=3)

        async def all_sent() -> bool:
            async with runtime.pool.acquire() as connection:
                return await outbox.unsent_count(connection) == 0

        await eventually(all_sent, timeout=30, what="every row published after the producer died")
        assert runtime.relay.producer is not dead
        records = await read_topic(isolated.settings.kafka_bootstrap_servers, topic.name, at_least=12)
        published = {record.value for record in records}
        assert len(published) == sum(len(ids) for ids in sent.values()) == 12
    finally:
        await runtime.stop()


async def test_a_relay_that_cannot_start_a_new_producer_yet_tries_again(
    isolated: Isolated, topic: TopicSpec
) -> None:
    """The broker that made the producer die may still be away: a failed start must not end the relay."""
    runtime = await ServiceRuntime.start(isolated.settings, "renewing_later", [], topics=[topic])
    try:
        start_new = runtime.relay.new_producer
        assert start_new is not None
        attempts = 0

        async def broker_away_at_first() -> AIOKafkaProducer:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                raise KafkaConnectionError("the broker is still away")
            return await start_new()

        runtime.relay.new_producer = broker_away_at_first
        runtime.relay.producer._message_accumulator.fail_all(OutOfOrderSequenceNumber())
        await append_rounds(runtime.pool, topic.name, keys=2, rounds=2)

        async def all_sent() -> bool:
            async with runtime.pool.acquire() as connection:
                return await outbox.unsent_count(connection) == 0

        await eventually(all_sent, timeout=30, what="every row published once a new producer started")
        assert attempts >= 2
    finally:
        await runtime.stop()
