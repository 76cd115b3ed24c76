"""What the broker holds for one test's corner: its topics, every record on them, the end offsets,
and how far each consumer group has committed. The accounting reads the topics from the start."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.events import Envelope, parse_envelope
from shared.events.referral import ReferralIssued


@contextlib.asynccontextmanager
async def admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def reader(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        request_timeout_ms=10_000,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def topics_with_prefix(bootstrap: str, prefix: str) -> list[str]:
    async with admin(bootstrap) as client:
        return sorted(t for t in await client.list_topics() if t.startswith(prefix))


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()
    found: list[TopicPartition] = []
    for topic in topics:
        numbers = consumer.partitions_for_topic(topic)
        assert numbers, f"topic {topic} does not exist"
        found.extend(TopicPartition(topic, p) for p in sorted(numbers))
    return found


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    async with reader(bootstrap) as consumer:
        partitions = await _partitions(consumer, topics)
        return dict(await consumer.end_offsets(partitions))


async def read_all(bootstrap: str, topics: list[str], timeout: float = 60.0) -> dict[str, list[Any]]:
    """Every record of `topics`, from the beginning to the end offsets as they were when reading began."""
    records: dict[str, list[Any]] = {t: [] for t in topics}
    if not topics:
        return records
    async with reader(bootstrap) as consumer:
        partitions = await _partitions(consumer, topics)
        ends = await consumer.end_offsets(partitions)
        wanted = [tp for tp in partitions if ends[tp] > 0]
        if not wanted:
            return records
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        deadline = time.monotonic() + timeout
        left = {tp for tp in wanted}
        while left:
            assert time.monotonic() < deadline, f"could not read {sorted(map(str, left))} within {timeout}s"
            batch = await consumer.getmany(*left, timeout_ms=500, max_records=10_000)
            for tp, got in batch.items():
                records[tp.topic].extend(r for r in got if r.offset < ends[tp])
            for tp in list(left):
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
    return records


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    async with admin(bootstrap) as client:
        offsets = await client.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def issued_referrals(bootstrap: str, prefix: str) -> list[Envelope]:
    """Every ReferralIssued on the partner topics so far, once per event id (as a partner's inbox
    would see them)."""
    topics = await topics_with_prefix(bootstrap, prefix + "referrals.")
    issued = {}
    for records in (await read_all(bootstrap, topics)).values():
        for record in records:
            envelope = parse_envelope(record.value)
            if envelope.type == ReferralIssued.event_type:
                issued[envelope.event_id] = envelope
    return list(issued.values())


async def leaders(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Each partition's leader (a broker's node id; -1 while it has none)."""
    async with admin(bootstrap) as client:
        described = await client.describe_topics(topics)
    return {
        TopicPartition(topic["topic"], partition["partition"]): partition["leader"]
        for topic in described
        for partition in topic["partitions"]
    }


async def busiest_leader(bootstrap: str, prefix: str) -> tuple[int, int]:
    """The broker leading the partitions that hold the most records of a corner's topics, and how
    many records those are."""
    topics = await topics_with_prefix(bootstrap, prefix)
    led = await leaders(bootstrap, topics)
    records: dict[int, int] = {}
    for where, end in (await end_offsets(bootstrap, topics)).items():
        records[led[where]] = records.get(led[where], 0) + end
    broker = max(records, key=lambda node: records[node])
    return broker, records[broker]


async def copies(bootstrap: str, topics: list[str]) -> dict[str, tuple[set[int], set[int], str]]:
    """Per topic: how many replicas its partitions have, which brokers are in their in-sync
    replicas, and its `min.insync.replicas`."""
    async with admin(bootstrap) as client:
        described = await client.describe_topics(topics)
        answers = await client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t, {"min.insync.replicas": None}) for t in topics]
        )
    minimum = {
        resource["resource_name"]: entry["config_value"]
        for answer in answers
        for resource in answer.to_object()["resources"]
        for entry in resource["config_entries"]
    }
    return {
        t["topic"]: (
            {len(p["replicas"]) for p in t["partitions"]},
            {broker for p in t["partitions"] for broker in p["isr"]},
            minimum.get(t["topic"], "?"),
        )
        for t in described
    }
