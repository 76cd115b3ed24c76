"""Raw baselines the benchmarks are measured beside, on the same broker and database, in one run.

- `raw_consume_produce`: plain aiokafka, consume a topic and produce each record to another
  (batched reads, no database): the ceiling for anything that routes events.
- `naive_transaction_per_event`: what a straightforward service would do: for each event one
  database transaction (inbox row + state row + outbox row), then produce, then commit the offset.
- `raw_inserts`: plain asyncpg `executemany` of rows shaped like ledger entries (no hashing).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


@dataclass(frozen=True)
class Measured:
    name: str
    count: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def fill_topic(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_consume_produce(bootstrap: str, source: str, target: str, count: int) -> Measured:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=1000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        done = 0
        began = time.perf_counter()
        while done < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            futures = []
            for records in batches.values():
                for record in records:
                    futures.append(await producer.send(target, record.value, key=record.key))
            await asyncio.gather(*futures)
            if futures:
                await consumer.commit()
            done += len(futures)
        return Measured("raw aiokafka consume→produce", done, time.perf_counter() - began)
    finally:
        await consumer.stop()
        await producer.stop()


NAIVE_SCHEMA = """
CREATE TABLE IF NOT EXISTS naive_inbox (event_id uuid PRIMARY KEY);
CREATE TABLE IF NOT EXISTS naive_state (id bigserial PRIMARY KEY, key bytea, body bytea);
CREATE TABLE IF NOT EXISTS naive_outbox (id bigserial PRIMARY KEY, key bytea, body bytea, sent boolean);
"""


async def naive_transaction_per_event(
    bootstrap: str, dsn: str, schema: str, source: str, target: str, count: int
) -> Measured:
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET search_path = "{schema}";')
    await connection.execute(NAIVE_SCHEMA)
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-naive-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        done = 0
        began = time.perf_counter()
        while done < count:
            record = await consumer.getone()
            async with connection.transaction():
                await connection.execute("INSERT INTO naive_inbox VALUES ($1)", uuid.uuid4())
                await connection.execute(
                    "INSERT INTO naive_state (key, body) VALUES ($1, $2)", record.key, record.value
                )
                outbox_id = await connection.fetchval(
                    "INSERT INTO naive_outbox (key, body, sent) VALUES ($1, $2, false) RETURNING id",
                    record.key,
                    record.value,
                )
            await producer.send_and_wait(target, record.value, key=record.key)
            await connection.execute("UPDATE naive_outbox SET sent = true WHERE id = $1", outbox_id)
            await consumer.commit()
            done += 1
        return Measured("naive: one transaction per event", done, time.perf_counter() - began)
    finally:
        await consumer.stop()
        await producer.stop()
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


async def raw_inserts(dsn: str, schema: str, rows: list[tuple[object, ...]], batch: int = 500) -> Measured:
    """Rows of (id uuid, transaction_id uuid, account text, debit bigint, credit bigint, currency text)."""
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET search_path = "{schema}";')
    await connection.execute(
        "CREATE TABLE raw_entries (id uuid PRIMARY KEY, transaction_id uuid, account text,"
        " debit bigint, credit bigint, currency text, created_at timestamptz DEFAULT now())"
    )
    try:
        began = time.perf_counter()
        for start in range(0, len(rows), batch):
            async with connection.transaction():
                await connection.executemany(
                    "INSERT INTO raw_entries (id, transaction_id, account, debit, credit, currency)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
                    rows[start : start + batch],
                )
        return Measured("raw asyncpg inserts", len(rows), time.perf_counter() - began)
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()
