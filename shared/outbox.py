"""The outbox (DESIGN rule 1): events are rows written in the caller's transaction; a relay
publishes them to Kafka and only then marks them sent.

The relay claims a batch with FOR UPDATE SKIP LOCKED, sends it in id order keyed by case id, waits
for the broker's acknowledgement of every record (idempotent producer, acks=all), then marks the
batch sent in the same transaction. A crash before that commit re-publishes the batch: consumers'
inboxes drop the copies. One relay per schema is active at a time (an advisory lock), which keeps
per-key order across batches even with several replicas running.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from .db import Connection, Pool, check_schema_name
from .events.envelope import Envelope
from .topics import TopicSpec
from .transient import is_transient

log = structlog.get_logger("shared.outbox")


async def append(connection: Connection, topic: TopicSpec | str, envelope: Envelope) -> None:
    """Queue `envelope` for `topic`; it is published only if the caller's transaction commits."""
    await append_many(connection, [(topic, envelope)])


async def append_many(connection: Connection, items: Sequence[tuple[TopicSpec | str, Envelope]]) -> None:
    if not items:
        return
    await connection.executemany(
        "INSERT INTO outbox (event_id, topic, key, headers, payload) VALUES ($1, $2, $3, $4, $5)",
        [
            (
                envelope.event_id,
                topic.name if isinstance(topic, TopicSpec) else topic,
                envelope.key,
                dict((k, v.decode()) for k, v in envelope.kafka_headers()),
                envelope.to_bytes(),
            )
            for topic, envelope in items
        ],
    )


async def unsent_count(connection: Connection) -> int:
    return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))


# Test seam: called after the broker acknowledged a batch and before it is marked sent.
AfterPublish = Callable[[list[asyncpg.Record]], Awaitable[None]]


class OutboxRelay:
    def __init__(
        self,
        pool: Pool,
        producer: AIOKafkaProducer,
        schema: str,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        after_publish: AfterPublish | None = None,
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.schema = check_schema_name(schema)
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.after_publish = after_publish
        self.published = 0
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def channel(self) -> str:
        return f"outbox_{self.schema}"

    @property
    def _lock_key(self) -> int:
        return int.from_bytes(
            hashlib.sha256(f"outbox-relay:{self.schema}".encode()).digest()[:8], "big", signed=True
        )

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "SELECT id, event_id, topic, key, headers, payload FROM outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self.batch_size,
            )
            if not rows:
                return 0
            deliveries = [
                await self.producer.send(
                    row["topic"],
                    value=bytes(row["payload"]),
                    key=row["key"].encode(),
                    headers=[(k, str(v).encode()) for k, v in _headers(row["headers"]).items()],
                )
                for row in rows
            ]
            await asyncio.gather(*deliveries)  # the broker has every record (acks=all)
            if self.after_publish is not None:
                await self.after_publish(list(rows))
            await connection.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
            )
        self.published += len(rows)
        return len(rows)

    async def drain(self) -> int:
        """Publish until nothing is left; return the total."""
        total = 0
        while (published := await self.relay_once()) > 0:
            total += published
        return total

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until `stop()`: woken by NOTIFY on commit, polling as the fallback."""
        while not self._stopping.is_set():
            try:
                await self._run_as_leader()
            except Exception as error:
                if not is_transient(error):
                    log.exception("outbox relay failed", schema=self.schema)
                else:
                    log.warning(
                        "outbox relay lost the database or broker; retrying",
                        schema=self.schema,
                        error_type=type(error).__name__,
                    )
                await self._sleep(self.poll_interval_s)

    async def _run_as_leader(self) -> None:
        async with self.pool.acquire() as listener:
            while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                if await self._sleep(self.poll_interval_s):
                    return
            await listener.add_listener(self.channel, self._on_notify)
            try:
                while not self._stopping.is_set():
                    if listener.is_closed():  # lost the lock with the session: compete again
                        return
                    self._wake.clear()
                    if await self.drain() == 0:
                        await self._sleep(self.poll_interval_s)
            finally:
                if not listener.is_closed():
                    await listener.remove_listener(self.channel, self._on_notify)
                    await listener.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a NOTIFY, a stop or the timeout; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stopping.is_set()


def _headers(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return dict(json.loads(value))
    return dict(value or {})
