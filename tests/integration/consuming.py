"""Consumers built the way the services build theirs (the shared broker factory, `apply_once` or
`apply_batch` + `DeadLetters`), recording each event's effect in a table the tests read, and what
the tests need around them: topics with configs of their own, committed offsets, metric samples."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY

from shared.db import Connection, Pool, create_pool, migrate
from shared.events import Envelope, new_envelope
from shared.events.intake import CaseClosed
from shared.inbox import apply_batch, apply_once
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options, subscriber_options
from shared.settings import Settings
from tests.support import eventually

INBOX_CONSUMER = "fault-test"
EFFECTS_TABLE = "CREATE TABLE IF NOT EXISTS effects (event_id uuid, closed_by text, seq bigserial)"


def closed(by: str) -> Envelope:
    case = uuid4()
    return new_envelope(
        CaseClosed(case_id=case, reason="reintegrated", closed_by=by), key=str(case), producer="test"
    )


@dataclass
class Consumer:
    """A running consumer: its broker, its pool, and when its handler was called."""

    broker: KafkaBroker
    pool: Pool
    topic: str
    group: str
    calls: list[float] = field(default_factory=list)  # time.monotonic() of each handler call

    async def effects(self) -> list[str]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch("SELECT closed_by FROM effects ORDER BY seq")
        return [row["closed_by"] for row in rows]

    async def effect_ids(self) -> list[UUID]:
        async with self.pool.acquire() as connection:
            rows = await connection.fetch("SELECT event_id FROM effects ORDER BY seq")
        return [row["event_id"] for row in rows]

    async def stop(self) -> None:
        await self.broker.stop()
        await self.pool.close()


ApplyMany = Callable[[Connection, list[Envelope]], Awaitable[None]]


async def record_effects(connection: Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        await connection.execute(
            "INSERT INTO effects (event_id, closed_by) VALUES ($1, $2)",
            envelope.event_id,
            envelope.event_as(CaseClosed).closed_by,
        )


async def start_consumer(
    settings: Settings, schema: str, topic: str, *, batch: bool = False, apply: ApplyMany = record_effects
) -> Consumer:
    """A single-message (`apply_once`) or batch (`apply_batch`) consumer of `topic`, started."""
    await migrate(settings.database_url, schema, [])
    pool = await create_pool(settings.database_url, schema, min_size=1, max_size=3)
    await pool.execute(EFFECTS_TABLE)
    broker = create_broker(settings, "test")
    group = f"{topic}.{INBOX_CONSUMER}"
    consumer = Consumer(broker, pool, topic, group)

    async def one(body: bytes) -> None:
        consumer.calls.append(time.monotonic())
        await apply_once(pool, INBOX_CONSUMER, topic, body, lambda c, e: apply(c, [e]))

    async def many(bodies: list[bytes]) -> None:
        consumer.calls.append(time.monotonic())
        outcome = await apply_batch(pool, INBOX_CONSUMER, topic, bodies, apply)
        if outcome.failures:
            raise DeadLetters(outcome.failures)

    options = batch_subscriber_options(group) if batch else subscriber_options(group)
    broker.subscriber(topic, **options)(many if batch else one)
    await broker.start()
    return consumer


async def create_topic(
    bootstrap: str, name: str, *, partitions: int = 1, configs: dict[str, str] | None = None
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])

        async def known() -> bool:  # the brokers learn of a new topic a moment after the controller
            return name in await admin.list_topics()

        await eventually(known, what=f"topic {name} in the cluster's metadata")
    finally:
        await admin.close()


async def alter_topic(bootstrap: str, name: str, configs: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs=configs)]
        )
        assert all(error_code == 0 for error_code, *_ in response.resources), response
    finally:
        await admin.close()


async def publish_to_partitions(bootstrap: str, topic: str, values: list[tuple[int, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for partition, value in values:
            await producer.send_and_wait(topic, value, key=b"k", partition=partition)
    finally:
        await producer.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> list[int | None]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = [offsets.get(TopicPartition(topic, p)) for p in range(partitions)]
    return [None if committed is None else committed.offset for committed in found]


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process's registry (0 when the series does not exist)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def alerts(records: list[Any]) -> list[dict[str, Any]]:
    """The structlog events logged with `alert=True`, from pytest's captured log records."""
    return [r.msg for r in records if isinstance(r.msg, dict) and r.msg.get("alert") is True]
