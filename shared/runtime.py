"""What a running service holds: its pool (migrated), its topics (created), its outbox relay.

Every service starts and stops the same way:

    runtime = await ServiceRuntime.start(settings, "referral", MIGRATIONS, topics=[...])
    ...
    await runtime.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from aiokafka import AIOKafkaProducer

from .db import Pool, create_pool, migrate
from .identity.store import IdentityStore, migrate_identity
from .kafka.producer import create_producer
from .kafka.security import kafka_security_options
from .outbox import OutboxRelay
from .settings import Settings
from .topics import Topics, TopicSpec, ensure_topics

log = structlog.get_logger("shared.runtime")


@dataclass
class ServiceRuntime:
    settings: Settings
    service: str
    schema: str
    topics: Topics
    pool: Pool
    producer: AIOKafkaProducer
    relay: OutboxRelay
    _relay_task: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        service: str,
        migrations: Sequence[Path],
        *,
        topics: Iterable[TopicSpec] = (),
        run_relay: bool = True,
    ) -> ServiceRuntime:
        schema = settings.schema_for(service)
        await migrate_identity(settings.database_url, settings.identity_schema)
        applied = await migrate(settings.database_url, schema, migrations)
        if applied:
            log.info("migrations applied", schema=schema, versions=applied)
        created = await ensure_topics(
            settings.kafka_bootstrap_servers, topics, **kafka_security_options(settings)
        )
        if created:
            log.info("topics created", topics=created)
        pool = await create_pool(
            settings.database_url, schema, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        producer = create_producer(settings, client_id=f"homeward-{service}-relay")
        await producer.start()
        relay = OutboxRelay(
            pool,
            producer,
            schema,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
        )
        runtime = cls(settings, service, schema, Topics(settings.topic_prefix), pool, producer, relay)
        if run_relay:
            runtime._relay_task = asyncio.create_task(relay.run(), name=f"{service}-outbox-relay")
        return runtime

    @property
    def identity(self) -> IdentityStore:
        return IdentityStore(self.pool, self.settings.identity_schema)

    async def stop(self) -> None:
        """Stop the relay after its current batch (a batch never half-marks), then close."""
        self.relay.stop()
        if self._relay_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        await self.producer.stop()
        await self.pool.close()
