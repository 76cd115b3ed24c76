"""A background reader of every topic a test service touches, so tests look up what was published
(by topic, case and type) without starting a consumer per question."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


@dataclass(frozen=True)
class Seen:
    topic: str  # without the test's prefix, e.g. "referrals.kumanovo-homes.v1"
    key: str
    value: bytes
    headers: dict[str, str]
    offset: int

    @property
    def envelope(self) -> dict[str, Any]:
        return dict(json.loads(self.value))

    @property
    def type(self) -> str | None:
        try:
            return str(self.envelope["type"])
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.envelope["data"])


class TopicRecorder:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.seen: list[Seen] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, topics: list[str]) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        await consumer._client.force_metadata_update()
        partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        self._consumer = consumer
        self._task = asyncio.create_task(self._read(consumer))

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=50)
            for records in batch.values():
                for r in records:
                    self.seen.append(
                        Seen(
                            topic=r.topic.removeprefix(self.prefix),
                            key=(r.key or b"").decode(),
                            value=r.value or b"",
                            headers={k: v.decode() for k, v in (r.headers or [])},
                            offset=r.offset,
                        )
                    )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    def find(self, *, topic: str | None = None, key: object = None, type: str | None = None) -> list[Seen]:
        """Records seen so far; `topic` matches exactly, or as a prefix when it ends with '*'."""

        def matches(s: Seen) -> bool:
            if topic is not None:
                if topic.endswith("*"):
                    if not s.topic.startswith(topic[:-1]):
                        return False
                elif s.topic != topic:
                    return False
            return (key is None or s.key == str(key)) and (type is None or s.type == type)

        return [s for s in list(self.seen) if matches(s)]
