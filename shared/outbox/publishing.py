"""Publishing one relay batch: outbox rows handed to the producer as whole record batches, one per
topic-partition (a row larger than a record batch goes alone), each partition's rows in row order;
and telling apart the rows the broker refuses.

- A fault that is about no record in particular (broker away, leader moving, a timeout, a producer
  fault) raises: the relay rolls the batch back and publishes it again later (what was delivered
  meanwhile comes twice; consumers' inboxes drop the copy).
- A refusal of the records themselves (`REFUSALS`: too large, unknown topic, not authorised) fails
  a record batch as a whole; its rows are then sent one at a time, in order, to find the ones the
  broker refuses. A refused row is reported as failed and the later rows of its key in this batch
  are held back (not sent, not failed), so that no later event of a case overtakes it.

A key's rows bound for different topics go out concurrently; Kafka orders a key's records within
one topic (its partition) only, and that order always holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from aiokafka.partitioner import murmur2
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from shared.kafka.producer import RECORD_BATCH_BYTES

from .store import OutboxRow


class TopicRefused(Exception):
    """The row's topic cannot be published to: the cluster does not know it, or refuses this client."""


# What the broker (or the producer, before sending) says about the records themselves: a row that
# gets one of these counts a failed try. Anything else — the broker away, a producer fault — is
# about no row in particular: the relay rolls the batch back and tries it again later.
REFUSALS: tuple[type[Exception], ...] = (
    TopicRefused,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
)


@dataclass
class Delivery:
    """What became of a batch's rows: `sent` (the broker has them), `failed` (refused: one try
    each); the rest was held back for the next batch."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, BaseException] = field(default_factory=dict)


@dataclass
class _PartitionBatch:
    topic: str
    partition: int
    builder: Any  # aiokafka's BatchBuilder
    rows: list[OutboxRow] = field(default_factory=list)


async def publish_rows(
    producer: AIOKafkaProducer, rows: Sequence[OutboxRow], *, topic_wait_s: float
) -> Delivery:
    """Publish `rows` (in id order), waiting for the broker's acknowledgement of each record."""
    delivery = Delivery()
    partition_of = _Partitioner(producer, topic_wait_s)
    held: set[str] = set()  # keys none of whose later rows go out in this batch
    placed: set[str] = set()  # keys with a row in this batch
    shared: dict[tuple[str, int], _PartitionBatch] = {}  # per partition, the batch most rows share
    batches: list[_PartitionBatch] = []
    for row in rows:
        if row.key in held:
            continue
        try:
            partition = await partition_of(row.topic, row.key.encode())
        except TopicRefused as error:
            delivery.failed[row.id] = error
            held.add(row.key)
            continue
        record = _record(row)
        if _size(record) > RECORD_BATCH_BYTES:
            # alone, so that a refusal of it refuses nothing else; its key's rows around it wait
            held.add(row.key)
            if row.key not in placed:
                batches.append(_PartitionBatch(row.topic, partition, producer.create_batch(), [row]))
                batches[-1].builder.append(**record)
            continue
        batch = shared.get((row.topic, partition))
        if batch is None:
            batch = shared[(row.topic, partition)] = _PartitionBatch(
                row.topic, partition, producer.create_batch()
            )
            batches.append(batch)
        # a second batch of the same key could be delivered while the first is refused: the rest
        # of the key waits for the next relay batch
        if batch.builder.append(**record) is None:
            held.add(row.key)
            continue
        batch.rows.append(row)
        placed.add(row.key)
    for batch in batches:
        batch.builder.close()
    results = await asyncio.gather(*(_send(producer, batch) for batch in batches), return_exceptions=True)
    for batch, result in zip(batches, results, strict=True):
        if result is None:
            delivery.sent.extend(row.id for row in batch.rows)
        elif isinstance(result, REFUSALS):
            await _one_by_one(producer, batch, delivery)
        else:
            raise result
    return delivery


async def _send(producer: AIOKafkaProducer, batch: _PartitionBatch) -> None:
    if batch.rows:
        delivered = await producer.send_batch(batch.builder, batch.topic, partition=batch.partition)
        await delivered


async def _one_by_one(producer: AIOKafkaProducer, batch: _PartitionBatch, delivery: Delivery) -> None:
    """The broker refused the partition's record batch (it takes a batch whole or not at all):
    send its rows alone, in order, to find the ones it refuses."""
    stopped: set[str] = set()
    for row in batch.rows:
        if row.key in stopped:
            continue
        record = _record(row)
        try:
            await producer.send_and_wait(
                batch.topic,
                record["value"],
                key=record["key"],
                partition=batch.partition,
                headers=record["headers"],
            )
        except REFUSALS as error:
            delivery.failed[row.id] = error
            stopped.add(row.key)
            continue
        delivery.sent.append(row.id)


def _size(record: dict[str, Any]) -> int:
    return int(
        DefaultRecordBatchBuilder.estimate_size_in_bytes(record["key"], record["value"], record["headers"])
    )


def _record(row: OutboxRow) -> dict[str, Any]:
    return {
        "timestamp": None,
        "key": row.key.encode(),
        "value": row.payload,
        "headers": [(name, value.encode()) for name, value in row.headers.items()],
    }


class _Partitioner:
    """The producer's default partitioner (murmur2 of the key, as Java clients do), with each
    key hashed once per batch: a case's events share its key, and the pure-Python hash is slow."""

    def __init__(self, producer: AIOKafkaProducer, topic_wait_s: float = 5.0) -> None:
        self.producer = producer
        self.topic_wait_s = topic_wait_s
        self._partitions: dict[str, list[int]] = {}
        self._refused: dict[str, TopicRefused] = {}
        self._hashes: dict[bytes, int] = {}

    async def __call__(self, topic: str, key: bytes) -> int:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = await self._partitions_of(topic)
        hashed = self._hashes.get(key)
        if hashed is None:
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return partitions[hashed % len(partitions)]

    async def _partitions_of(self, topic: str) -> list[int]:
        refused = self._refused.get(topic)
        if refused is not None:
            raise refused
        try:
            # aiokafka itself would wait request_timeout_ms (40 s) for an unknown topic to appear
            found = await asyncio.wait_for(self.producer.partitions_for(topic), self.topic_wait_s)
        except (TimeoutError, UnknownTopicOrPartitionError):
            refused = TopicRefused(
                f"unknown topic {topic} (not in the cluster's metadata after {self.topic_wait_s:g} s)"
            )
        except TopicAuthorizationFailedError:
            refused = TopicRefused(f"not authorised to publish to topic {topic}")
        else:
            return sorted(found)
        self._refused[topic] = refused
        raise refused
