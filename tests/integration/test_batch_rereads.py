"""A batch subscriber that gives up on a fault re-reads every partition its batch held, on the real
broker and database: nothing is lost (no partition moves on past records that were never applied)
and nothing is applied twice (the inbox)."""

from __future__ import annotations

from collections import Counter

import pytest

from shared.db import Connection
from shared.events import Envelope
from shared.transient import TransientError
from tests.conftest import Isolated
from tests.support import eventually, read_topic

from .consuming import (
    Consumer,
    closed,
    committed_offsets,
    create_topic,
    publish_to_partitions,
    record_effects,
    start_consumer,
)

pytestmark = pytest.mark.integration

PARTITIONS = 3
PER_PARTITION = 4


async def test_a_batch_that_gives_up_on_a_fault_rereads_every_partition_it_held(
    isolated: Isolated, kafka_bootstrap: str
) -> None:
    topic = f"{isolated.topic_prefix}rereads.v1"
    await create_topic(kafka_bootstrap, topic, partitions=PARTITIONS)
    await create_topic(kafka_bootstrap, f"{topic}.dlq")
    events = [closed(f"event-{n:02d}") for n in range(PARTITIONS * PER_PARTITION)]
    partition_of = {e.event_id: n % PARTITIONS for n, e in enumerate(events)}
    # on the topic before the consumer starts, so that its batches span the three partitions
    await publish_to_partitions(
        kafka_bootstrap, topic, [(partition_of[e.event_id], e.to_bytes()) for e in events]
    )

    settings = isolated.settings.model_copy(update={"consumer_max_attempts": 2})
    held: list[set[int]] = []  # the partitions of each batch that failed
    given_up: list[set[int]] = []

    async def apply(connection: Connection, envelopes: list[Envelope]) -> None:
        partitions = {partition_of[e.event_id] for e in envelopes}
        # every attempt fails until a batch holding all three partitions has failed as often as the
        # consumer tries a delivery: that delivery is given up and must be read again whole
        if sum(len(p) == PARTITIONS for p in held) < settings.consumer_max_attempts:
            held.append(partitions)
            if len(held) % settings.consumer_max_attempts == 0:
                given_up.append(partitions)
            raise TransientError("the database went away mid-batch")
        await record_effects(connection, envelopes)

    consumer = await start_consumer(settings, isolated.schema, topic, batch=True, apply=apply)
    try:
        await eventually(lambda: _applied(consumer, len(events)), timeout=30, what="every event applied")
        await eventually(
            lambda: _committed(kafka_bootstrap, consumer, topic), what="every partition committed to its end"
        )
        applied = Counter(await consumer.effect_ids())
    finally:
        await consumer.stop()

    assert {PARTITIONS} <= {len(p) for p in given_up}, (
        f"no delivery of all three partitions was given up: {held}"
    )
    assert applied == Counter(e.event_id for e in events)  # each once: nothing lost, nothing twice
    assert await read_topic(kafka_bootstrap, f"{topic}.dlq") == []


async def _applied(consumer: Consumer, count: int) -> bool:
    return len(await consumer.effect_ids()) >= count


async def _committed(bootstrap: str, consumer: Consumer, topic: str) -> bool:
    return (
        await committed_offsets(bootstrap, consumer.group, topic, PARTITIONS) == [PER_PARTITION] * PARTITIONS
    )
