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
from aiokafka.partitioner import murmur2

from shared.db import Connection, Pool, check_schema_name
from shared.events.envelope import Envelope
from shared.topics import TopicSpec
from shared.transient import is_transient

log = structlog.get_logger("shared.outbox")


async def append(connection: Connection, topic: TopicSpec | str, envelope: Envelope) -> None:
    """Queue `envelope` for `topic`; it is published only if the caller's transaction commits."""
    await append_many(connection, [(topic, envelope)])


async def append_many(connection: Connection, items: Sequence[tuple[TopicSpec | str, Envelope]]) -> None:
    """Queue every envelope, in order (the relay publishes in that order), with ONE statement."""
    if not items:
        return
    await connection.execute(
        "INSERT INTO outbox (event_id, topic, key, headers, payload)"
        " SELECT e.event_id, e.topic, e.key, e.headers::jsonb, e.payload"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])"
        " WITH ORDINALITY AS e(event_id, topic, key, headers, payload, n) ORDER BY e.n",
        [envelope.event_id for _, envelope in items],
        [topic.name if isinstance(topic, TopicSpec) else topic for topic, _ in items],
        [envelope.key for _, envelope in items],
        [json.dumps({k: v.decode() for k, v in envelope.kafka_headers()}) for _, envelope in items],
        [envelope.to_bytes() for _, envelope in items],
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
                await self.producer.send_batch(batch, topic, partition=partition)
                for (topic, partition), batch in await self._batches(rows)
            ]
            await asyncio.gather(*deliveries)  # the broker has every record (acks=all)
            if self.after_publish is not None:
                await self.after_publish(list(rows))
            await connection.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
            )
        self.published += len(rows)
        return len(rows)

    async def _batches(self, rows: Sequence[asyncpg.Record]) -> list[tuple[tuple[str, int], Any]]:
        """The rows as record batches per topic-partition, each partition's in row order. One
        delivery per batch instead of one per record: the relay's cost per event halves."""
        partition = _Partitioner(self.producer)
        open_batches: dict[tuple[str, int], Any] = {}
        batches: list[tuple[tuple[str, int], Any]] = []
        for row in rows:
            key = row["key"].encode()
            where = (row["topic"], await partition(row["topic"], key))
            record = {
                "timestamp": None,
                "key": key,
                "value": bytes(row["payload"]),
                "headers": [(k, str(v).encode()) for k, v in _headers(row["headers"]).items()],
            }
            batch = open_batches.get(where)
            if batch is None or batch.append(**record) is None:  # none yet, or that one is full
                batch = open_batches[where] = self.producer.create_batch()
                batches.append((where, batch))
                if batch.append(**record) is None:
                    raise ValueError(f"outbox row {row['id']} is larger than a producer batch")
        for _, batch in batches:
            batch.close()
        return batches

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


class _Partitioner:
    """The producer's default partitioner (murmur2 of the key, as Java clients do), with each
    key hashed once per batch: a case's events share its key, and the pure-Python hash is slow."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self._partitions: dict[str, list[int]] = {}
        self._hashes: dict[bytes, int] = {}

    async def __call__(self, topic: str, key: bytes) -> int:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = sorted(await self.producer.partitions_for(topic))
        hashed = self._hashes.get(key)
        if hashed is None:
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return partitions[hashed % len(partitions)]


def _headers(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return dict(json.loads(value))
    return dict(value or {})
