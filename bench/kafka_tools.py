"""Kafka helpers of the benchmarks: filling a topic, counting what has become readable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.events import Envelope


async def fill_topic(bootstrap: str, topic: str, values: Sequence[tuple[bytes | None, bytes]]) -> None:
    """Publish every (key, value) and wait for the broker to have them all."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=262_144
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def envelope_records(envelopes: Sequence[Envelope]) -> list[tuple[bytes | None, bytes]]:
    return [(e.key.encode(), e.to_bytes()) for e in envelopes]


class ReadableCounter:
    """How many records the given topics hold beyond where they stood at `start()`: what a
    reader of those topics can read (the producer's acks=all has made them durable)."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
        )
        self._partitions: list[TopicPartition] = []
        self._base = 0

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()
        self._partitions = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(self._consumer.partitions_for_topic(topic) or ())
        ]
        missing = [t for t in self.topics if not self._consumer.partitions_for_topic(t)]
        if missing:
            raise RuntimeError(f"topics do not exist: {missing}")
        self._base = await self._total()

    async def _total(self) -> int:
        return sum((await self._consumer.end_offsets(self._partitions)).values())

    async def count(self) -> int:
        return await self._total() - self._base

    async def wait_for(self, expected: int, *, timeout: float, interval: float = 0.02) -> tuple[int, float]:
        """Poll until `expected` records are readable or `timeout` passes; (count, seconds taken)."""
        began = time.perf_counter()
        count = 0
        while time.perf_counter() - began < timeout:
            count = await self.count()
            if count >= expected:
                break
            await asyncio.sleep(interval)
        return count, time.perf_counter() - began

    async def stop(self) -> None:
        await self._consumer.stop()
