"""The consuming rules for batch subscribers, on the real broker and database: a batch applies in
one transaction, yet a bad message inside it is dead-lettered alone while the rest is applied, a
redelivered batch has no second effect, and a transient fault retries the batch instead of
dead-lettering anything.

The consumer is built the way referral builds one (`batch_subscriber_options`, `apply_batch`,
`DeadLetters`); messages are published before it starts, so they reach it as one batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import pytest
from faststream.kafka import KafkaBroker

from shared.db import Connection, Pool, create_pool, migrate
from shared.events import Envelope, new_envelope
from shared.events.intake import CaseClosed
from shared.inbox import BatchOutcome, apply_batch
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX, DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options
from shared.poison import Poison
from shared.topics import TopicSpec, ensure_topics
from shared.transient import TransientError
from tests.conftest import Isolated
from tests.support import eventually, headers_of, publish, read_topic

pytestmark = pytest.mark.integration

CONSUMER = "batch-test"
EFFECTS_TABLE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid, closed_by text, seq bigserial)"


class RuleBroken(Poison, ValueError):
    pass


def closed(by: str) -> Envelope:
    case = uuid4()
    return new_envelope(
        CaseClosed(case_id=case, reason="reintegrated", closed_by=by), key=str(case), producer="test"
    )


@dataclass
class BatchConsumer:
    pool: Pool
    topic: TopicSpec
    outcomes: list[BatchOutcome] = field(default_factory=list)
    transient_faults_left: int = 0

    async def apply(self, connection: Connection, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            event = envelope.event_as(CaseClosed)
            await connection.execute(
                "INSERT INTO effects (event_id, closed_by) VALUES ($1, $2)",
                envelope.event_id,
                event.closed_by,
            )
            if event.closed_by.startswith("poison"):
                raise RuleBroken(f"{event.closed_by} breaks the rule")
        if self.transient_faults_left:
            self.transient_faults_left -= 1
            raise TransientError("the database went away")

    async def handle(self, bodies: list[bytes]) -> None:
        outcome = await apply_batch(self.pool, CONSUMER, self.topic.name, bodies, self.apply)
        self.outcomes.append(outcome)
        if outcome.failures:
            raise DeadLetters(outcome.failures)

    async def effects(self) -> list[str]:
        rows = await self.pool.fetch("SELECT closed_by FROM effects ORDER BY seq")
        return [r["closed_by"] for r in rows]

    async def inbox(self) -> set[UUID]:
        rows = await self.pool.fetch("SELECT event_id FROM inbox WHERE consumer = $1", CONSUMER)
        return {r["event_id"] for r in rows}


@pytest.fixture
async def topic(isolated: Isolated) -> TopicSpec:
    spec = TopicSpec(f"{isolated.topic_prefix}batch.test.v1", partitions=1, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec, spec.dlq])
    return spec


@pytest.fixture
async def consumer(isolated: Isolated, topic: TopicSpec) -> AsyncIterator[BatchConsumer]:
    await migrate(isolated.settings.database_url, isolated.schema, [])
    pool = await create_pool(isolated.settings.database_url, isolated.schema, min_size=1, max_size=2)
    await pool.execute(EFFECTS_TABLE)
    yield BatchConsumer(pool, topic)
    await pool.close()


async def consume(isolated: Isolated, consumer: BatchConsumer) -> KafkaBroker:
    broker = create_broker(isolated.settings, "test")

    async def on_batch(bodies: list[bytes]) -> None:
        await consumer.handle(bodies)

    broker.subscriber(consumer.topic.name, **batch_subscriber_options(f"{consumer.topic.name}.batch"))(
        on_batch
    )
    await broker.start()
    return broker


async def test_a_bad_message_in_the_middle_of_a_batch_is_dead_lettered_alone(
    isolated: Isolated, consumer: BatchConsumer, kafka_bootstrap: str
) -> None:
    first, poison, last = closed("a-first"), closed("poison-b"), closed("c-last")
    values = [first.to_bytes(), b"{not an envelope", poison.to_bytes(), last.to_bytes()]
    await publish(kafka_bootstrap, consumer.topic.name, values, key=b"case")

    broker = await consume(isolated, consumer)
    try:
        dead = await read_topic(kafka_bootstrap, consumer.topic.dlq.name, at_least=2)
    finally:
        await broker.stop()

    [outcome] = consumer.outcomes  # one batch, applied again message by message after the failure
    assert outcome.one_by_one
    assert sorted(outcome.failures) == [1, 2]
    # the good messages took effect once, in order; the rule-breaker's own insert was rolled back
    assert await consumer.effects() == ["a-first", "c-last"]
    assert await consumer.inbox() == {first.event_id, last.event_id}
    by_offset = {headers_of(d)[f"{DLQ_HEADER_PREFIX}source-offset"]: d for d in dead}
    assert sorted(by_offset) == ["1", "2"]
    assert by_offset["1"].value == b"{not an envelope"
    assert headers_of(by_offset["1"])[f"{DLQ_HEADER_PREFIX}error-type"] == "MalformedEvent"
    assert by_offset["2"].value == poison.to_bytes()
    assert headers_of(by_offset["2"])[f"{DLQ_HEADER_PREFIX}error-type"] == "RuleBroken"
    assert headers_of(by_offset["2"])[f"{DLQ_HEADER_PREFIX}error"] == "poison-b breaks the rule"
    assert {d.key for d in dead} == {b"case"}  # each keeps its own key (and headers)


async def test_a_redelivered_batch_and_a_copy_inside_a_batch_have_no_second_effect(
    consumer: BatchConsumer,
) -> None:
    one, two = closed("one"), closed("two")
    batch = [one.to_bytes(), two.to_bytes(), one.to_bytes()]  # a producer retry inside the batch

    first = await apply_batch(consumer.pool, CONSUMER, consumer.topic.name, batch, consumer.apply)
    again = await apply_batch(consumer.pool, CONSUMER, consumer.topic.name, batch, consumer.apply)

    assert (first.applied, first.redelivered, first.failures) == (2, 1, {})
    assert (again.applied, again.redelivered, again.failures) == (0, 3, {})
    assert await consumer.effects() == ["one", "two"]


async def test_a_transient_fault_retries_the_batch_and_dead_letters_nothing(
    isolated: Isolated, consumer: BatchConsumer, kafka_bootstrap: str
) -> None:
    events = [closed(f"event-{n}") for n in range(5)]
    await publish(kafka_bootstrap, consumer.topic.name, [e.to_bytes() for e in events], key=b"case")
    consumer.transient_faults_left = 2  # the first two attempts fail after applying everything

    broker = await consume(isolated, consumer)
    try:
        await eventually(lambda: _len_is(consumer, 5), what="the batch to be applied")
    finally:
        await broker.stop()

    assert await consumer.effects() == [f"event-{n}" for n in range(5)]  # rolled back twice, then once
    assert await read_topic(kafka_bootstrap, consumer.topic.dlq.name) == []


async def _len_is(consumer: BatchConsumer, count: int) -> bool:
    return len(await consumer.effects()) == count
