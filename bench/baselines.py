"""Raw baselines the benchmarks are measured beside, on the same broker and database, in one run.

- `raw_consume_produce`: plain aiokafka, consume a topic and produce each record to another
  (batched reads, no database): the ceiling for anything that routes events.
- `naive_transaction_per_event`: what a straightforward service would do: for each event one
  database transaction (inbox row + state row + outbox row), then produce, then commit the offset.
- `minimal_routing`: the least work routing's rules need, in plain aiokafka and asyncpg: per batch
  of records one transaction that writes the same inbox, case, referral and outbox rows as the
  referral service (its own tables, migrated), then the outbox rows produced and marked sent, then
  the offsets committed. What it leaves out is what the service decides, not what it must store:
  no envelope validation beyond `json.loads`, no routing rules (partners round-robin), no
  capacity lock, no tracing or metrics. The fair ceiling for the service on this machine.
- `raw_inserts`: plain asyncpg `executemany` of rows shaped like ledger entries (no hashing).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events.ids import uuid7


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


_INBOX = (
    "INSERT INTO inbox (consumer, event_id, topic) SELECT $1, e, $3 FROM unnest($2::uuid[]) AS e"
    " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
)
_CASES = (
    "INSERT INTO cases (case_id, facts, programme_id) SELECT c, f::jsonb, p"
    " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(c, f, p)"
    " ON CONFLICT (case_id) DO UPDATE SET facts = EXCLUDED.facts, updated_at = now()"
)
_REFERRALS = (
    "INSERT INTO referrals (referral_id, case_id, category, partner_id, status, priority, payload,"
    " respond_by, correlation_id, issued_event_id, created_at, updated_at, programme_id)"
    " SELECT r, c, k, p, 'issued', 'normal', d::jsonb, b, x, i, $8, $8, g"
    " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],"
    " $7::uuid[], $9::uuid[], $10::text[]) AS u(r, c, k, p, d, b, x, i, g)"
)
_OUTBOX = (
    "INSERT INTO outbox (event_id, topic, key, headers, payload)"
    " SELECT e, t, k, h::jsonb, v FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])"
    " WITH ORDINALITY AS u(e, t, k, h, v, n) ORDER BY n RETURNING id"
)


def _envelope(event_type: str, key: str, correlation: str, cause: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid7()),
            "type": event_type,
            "schema_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "key": key,
            "correlation_id": correlation,
            "causation_id": cause,
            "producer": "referral",
            "data": data,
        }
    ).encode()


async def minimal_routing(
    bootstrap: str,
    dsn: str,
    schema: str,
    source: str,
    partner_topics: Sequence[str],
    status_topic: str,
    count: int,
    batch: int = 500,
) -> Measured:
    """`count` NeedsAssessed records of `source` routed with the least work the design needs (see
    the module's docstring) into the service's own tables of `schema` (migrated by the caller);
    `extra` holds the process CPU seconds and the referrals issued."""
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-minimal-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=batch,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=262_144
    )
    await consumer.start()
    await producer.start()
    try:
        done = referrals = 0
        began, cpu_began = time.perf_counter(), time.process_time()
        while done < count:
            fetched = await consumer.getmany(timeout_ms=500, max_records=batch)
            records = [record for part in fetched.values() for record in part]
            if not records:
                continue
            referrals += await _minimal_batch(
                connection, producer, source, partner_topics, status_topic, [r.value for r in records]
            )
            await consumer.commit()
            done += len(records)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        return Measured(
            "minimal: raw aiokafka + asyncpg batches (same rows)",
            done,
            seconds,
            extra={"cpu_s": cpu, "referrals": referrals},
        )
    finally:
        await consumer.stop()
        await producer.stop()
        await connection.close()


async def _minimal_batch(
    connection: asyncpg.Connection,
    producer: AIOKafkaProducer,
    source: str,
    partner_topics: Sequence[str],
    status_topic: str,
    values: list[bytes | None],
) -> int:
    """One batch: its rows in one transaction, then its outbox rows produced and marked sent."""
    envelopes = [json.loads(value or b"{}") for value in values]
    now = datetime.now(UTC)
    respond_by = now + timedelta(hours=72)
    case_rows: dict[str, tuple[uuid.UUID, str, str]] = {}
    referral_rows: list[tuple[Any, ...]] = []
    outbox_rows: list[tuple[uuid.UUID, str, str, str, bytes]] = []
    async with connection.transaction():
        fresh = {
            str(row["event_id"])
            for row in await connection.fetch(
                _INBOX, "bench.minimal", [uuid.UUID(e["event_id"]) for e in envelopes], source
            )
        }
        for envelope in envelopes:
            if envelope["event_id"] not in fresh:
                continue
            fresh.discard(envelope["event_id"])
            data, key = envelope["data"], envelope["key"]
            case_id = uuid.UUID(data["case_id"])
            case_rows[key] = (case_id, json.dumps(data), data["programme_id"])
            for need in data["needs"]:
                referral_id = uuid7()
                partner = len(referral_rows) % len(partner_topics)
                payload = {"municipality": data["municipality"], "household_size": len(data["household"])}
                issued = {
                    "referral_id": str(referral_id),
                    "case_id": key,
                    "partner_id": f"partner-{partner}",
                    "category": need,
                    "priority": "normal",
                    "respond_by": respond_by.isoformat(),
                    "payload": payload,
                }
                changed = {
                    "referral_id": str(referral_id),
                    "case_id": key,
                    "partner_id": f"partner-{partner}",
                    "category": need,
                    "status": "issued",
                }
                for topic, event_type, event in (
                    (partner_topics[partner], "ReferralIssued", issued),
                    (status_topic, "ReferralStatusChanged", changed),
                ):
                    body = _envelope(event_type, key, envelope["correlation_id"], envelope["event_id"], event)
                    headers = json.dumps({"event_type": event_type, "producer": "referral"})
                    outbox_rows.append((uuid7(), topic, key, headers, body))
                referral_rows.append(
                    (
                        referral_id,
                        case_id,
                        need,
                        f"partner-{partner}",
                        json.dumps(payload),
                        respond_by,
                        uuid.UUID(envelope["correlation_id"]),
                        outbox_rows[-2][0],
                        data["programme_id"],
                    )
                )
        if case_rows:
            await connection.execute(_CASES, *map(list, zip(*case_rows.values(), strict=True)))
        if referral_rows:
            columns = list(map(list, zip(*referral_rows, strict=True)))
            await connection.execute(_REFERRALS, *columns[:7], now, *columns[7:])
        ids = []
        if outbox_rows:
            ids = [
                row["id"]
                for row in await connection.fetch(_OUTBOX, *map(list, zip(*outbox_rows, strict=True)))
            ]
    # the relay's part: publish what committed (acks=all), then mark it sent
    futures = [
        await producer.send(topic, body, key=key.encode(), headers=[("event_type", b"")])
        for _, topic, key, _, body in outbox_rows
    ]
    await asyncio.gather(*futures)
    if ids:
        await connection.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", ids)
    return len(referral_rows)


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
