"""Faults on the consuming path, on the real broker and database: a dead letter the broker refuses,
and a fault that is neither transient nor poison (a missing table), for single-message and batch
subscribers. None may lose a message, dead-letter a good one, or spin without backing off."""

from __future__ import annotations

import pytest

from tests.conftest import Isolated
from tests.support import eventually, publish, read_topic

from .consuming import (
    INBOX_CONSUMER,
    Consumer,
    alerts,
    alter_topic,
    closed,
    committed_offsets,
    create_topic,
    sample,
    start_consumer,
)

pytestmark = pytest.mark.integration

# three attempts per read, 0.2 + 0.4 + 0.8 s of backoff between them, before the message is read again
ATTEMPTS = {"consumer_max_attempts": 3, "consumer_backoff_initial_s": 0.2, "consumer_backoff_max_s": 1.0}


async def test_a_dead_letter_the_broker_refuses_is_retried_with_backoff_and_nothing_is_lost(
    isolated: Isolated, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    topic = f"{isolated.topic_prefix}refused.v1"
    await create_topic(kafka_bootstrap, topic)
    # the dead-letter topic takes the poison's own bytes, but not once the x-dlq-* headers are added
    await create_topic(kafka_bootstrap, f"{topic}.dlq", configs={"max.message.bytes": "1100"})
    consumer = await start_consumer(isolated.settings.model_copy(update=ATTEMPTS), isolated.schema, topic)
    poison, good = b"{not an envelope " + b"x" * 900, closed("after-the-poison")
    try:
        await publish(kafka_bootstrap, topic, [poison, good.to_bytes()])

        await eventually(lambda: _called(consumer, 3), timeout=30, what="the poison to be read three times")
        gaps = [later - earlier for earlier, later in zip(consumer.calls, consumer.calls[1:], strict=False)]
        assert min(gaps[:2]) >= 1.0, f"read again without backing off: {gaps}"
        assert await consumer.effects() == []  # the message after it waits: nothing was skipped
        assert await read_topic(kafka_bootstrap, f"{topic}.dlq") == []
        assert await committed_offsets(kafka_bootstrap, consumer.group, topic, 1) in ([None], [0])
        assert (
            sample(
                "homeward_consumer_retries_total",
                group=consumer.group,
                topic=topic,
                fault="dead-letter-publish",
            )
            >= 6
        )
        assert any(a["error_type"] == "MessageSizeTooLargeError" for a in alerts(caplog.records))

        await alter_topic(kafka_bootstrap, f"{topic}.dlq", {"max.message.bytes": "1048588"})
        await eventually(
            lambda: _has(consumer, "after-the-poison"), timeout=30, what="the consumer to move on"
        )
        dead = await read_topic(kafka_bootstrap, f"{topic}.dlq", at_least=1)
        assert {d.value for d in dead} == {poison}
        assert sample("homeward_events_dead_lettered_total", group=consumer.group, topic=topic) == 1
        await eventually(
            lambda: _committed(kafka_bootstrap, consumer, topic, [2]), what="the offset past both messages"
        )
    finally:
        await consumer.stop()


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_a_fault_that_is_neither_transient_nor_poison_is_retried_as_an_alert_never_dead_lettered(
    isolated: Isolated, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture, batch: bool
) -> None:
    topic = f"{isolated.topic_prefix}unrecognised.v1"
    await create_topic(kafka_bootstrap, topic)
    await create_topic(kafka_bootstrap, f"{topic}.dlq")
    consumer = await start_consumer(
        isolated.settings.model_copy(update=ATTEMPTS), isolated.schema, topic, batch=batch
    )
    try:
        await publish(kafka_bootstrap, topic, [closed("a-before").to_bytes()])
        await eventually(consumer.effects, what="the first effect")

        # a missing table (a migration not applied, a restore gone wrong): every attempt fails alike
        await consumer.pool.execute("DROP TABLE effects")
        events = [closed(f"b-during-{n}") for n in range(4)]
        await publish(kafka_bootstrap, topic, [e.to_bytes() for e in events])

        async def retried_or_dead_lettered() -> bool:
            retries = sample(
                "homeward_consumer_retries_total", group=consumer.group, topic=topic, fault="unrecognised"
            )
            return retries >= 4 or bool(await read_topic(kafka_bootstrap, f"{topic}.dlq"))

        await eventually(retried_or_dead_lettered, timeout=30, interval=0.5, what="retries, or dead letters")
        assert await read_topic(kafka_bootstrap, f"{topic}.dlq") == []  # a good message is no dead letter
        raised = [a for a in alerts(caplog.records) if a["error_type"] == "UndefinedTableError"]
        assert raised, "the fault was not raised as an alert"
        assert await committed_offsets(kafka_bootstrap, consumer.group, topic, 1) == [1]

        await consumer.pool.execute("CREATE TABLE effects (event_id uuid, closed_by text, seq bigserial)")
        await eventually(
            lambda: _count_is(consumer, 4), timeout=30, what="the events applied once the table is back"
        )
        assert await consumer.effects() == [f"b-during-{n}" for n in range(4)]
        await eventually(
            lambda: _committed(kafka_bootstrap, consumer, topic, [5]), what="the offsets committed"
        )
        assert await read_topic(kafka_bootstrap, f"{topic}.dlq") == []
    finally:
        await consumer.stop()


async def test_what_a_consumer_did_is_counted_in_its_metrics(
    isolated: Isolated, kafka_bootstrap: str
) -> None:
    topic = f"{isolated.topic_prefix}counted.v1"
    await create_topic(kafka_bootstrap, topic)
    await create_topic(kafka_bootstrap, f"{topic}.dlq")
    once, last = closed("a-once"), closed("z-last")
    await publish(
        kafka_bootstrap, topic, [b"not an envelope", once.to_bytes(), once.to_bytes(), last.to_bytes()]
    )
    consumer = await start_consumer(isolated.settings, isolated.schema, topic)
    try:
        await eventually(lambda: _has(consumer, "z-last"), what="the last event applied")
        await eventually(
            lambda: _committed(kafka_bootstrap, consumer, topic, [4]), what="the offsets committed"
        )
    finally:
        await consumer.stop()

    group, inbox = {"group": consumer.group, "topic": topic}, {"consumer": INBOX_CONSUMER, "topic": topic}
    assert sample("homeward_events_consumed_total", **group) == 4
    assert sample("homeward_events_applied_total", **inbox) == 2
    assert sample("homeward_events_redelivered_total", **inbox) == 1
    assert sample("homeward_events_dead_lettered_total", **group) == 1
    assert sample("homeward_consumer_lag_records", **group, partition="0") == 0  # read to the end


async def _called(consumer: Consumer, times: int) -> bool:
    return len(consumer.calls) >= times


async def _has(consumer: Consumer, closed_by: str) -> bool:
    return closed_by in await consumer.effects()


async def _count_is(consumer: Consumer, count: int) -> bool:
    return len(await consumer.effects()) == count


async def _committed(bootstrap: str, consumer: Consumer, topic: str, offsets: list[int]) -> bool:
    return await committed_offsets(bootstrap, consumer.group, topic, len(offsets)) == offsets
