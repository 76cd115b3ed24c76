"""What a running service holds: its pool (migrated), its topics (created), its outbox relay, and
the periodic jobs every service runs (retention of its outbox and inbox, the outbox backlog gauges).

Every service starts and stops the same way:

    runtime = await ServiceRuntime.start(settings, "referral", MIGRATIONS, topics=[...])
    ...
    await runtime.stop()
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from .db import Pool, create_pool, migrate
from .db_roles import TablePrivileges, ensure_login_role, grant_privileges, user_of
from .identity.store import IDENTITY_PRIVILEGES, IdentityStore, migrate_identity
from .identity.verified import IdentityListener, VerifiedTokens
from .jobs import Jobs, PeriodicJob
from .kafka.producer import create_producer
from .kafka.security import kafka_security_options
from .outbox import OutboxRelay
from .outbox.relay import report_backlog
from .retention import retention_job
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
    relay: OutboxRelay
    jobs: Jobs
    identity: IdentityStore
    identity_listener: IdentityListener
    _relay_task: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        service: str,
        migrations: Sequence[Path],
        *,
        privileges: TablePrivileges | None = None,
        topics: Iterable[TopicSpec] = (),
        run_relay: bool = True,
    ) -> ServiceRuntime:
        """`privileges`: what the service's runtime role may do to its tables (default: read and
        change rows; shared/db_roles.py)."""
        schema = settings.schema_for(service)
        if settings.migrate_on_start:
            await migrate_service(settings, service, migrations, privileges)
        created = await ensure_topics(
            settings.kafka_bootstrap_servers,
            topics,
            replication=settings.kafka_topic_replication,
            **kafka_security_options(settings),
        )
        if created:
            log.info("topics created", topics=created)
        pool = await create_pool(
            settings.runtime_url(service),
            schema,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            acquire_deadline_s=settings.db_acquire_timeout_ms / 1000,
        )

        async def new_producer() -> AIOKafkaProducer:
            producer = create_producer(settings, client_id=f"homeward-{service}-relay")
            await producer.start()
            return producer

        relay = OutboxRelay(
            pool,
            await new_producer(),
            schema,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            max_attempts=settings.outbox_max_attempts,
            topic_wait_s=settings.outbox_topic_wait_s,
            new_producer=new_producer,
        )
        jobs = Jobs(
            [
                retention_job(
                    pool,
                    schema,
                    outbox_days=settings.outbox_retention_days,
                    inbox_days=settings.inbox_retention_days,
                    interval_s=settings.retention_interval_s,
                    batch_rows=settings.retention_batch_rows,
                ),
                PeriodicJob(
                    "outbox-backlog", settings.outbox_metrics_interval_s, lambda: report_backlog(pool, schema)
                ),
            ]
        )
        # the API's users: verified tokens kept in memory while a dedicated connection listens for
        # revocations (shared.identity.verified)
        verified = VerifiedTokens(max_size=settings.token_cache_size, max_age_s=settings.token_cache_seconds)
        runtime_url = settings.runtime_url(service)
        listener = IdentityListener(verified, settings.identity_schema, lambda: asyncpg.connect(runtime_url))
        listener.start()
        identity = IdentityStore(pool, settings.identity_schema, verified)
        runtime = cls(
            settings, service, schema, Topics(settings.topic_prefix), pool, relay, jobs, identity, listener
        )
        if run_relay:
            runtime._relay_task = asyncio.create_task(relay.run(), name=f"{service}-outbox-relay")
        jobs.start()
        return runtime

    async def stop(self) -> None:
        """Stop the relay after its current batch, waiting `outbox_stop_timeout_s` at most: past
        that it is cancelled and the batch rolled back (a batch never half-marks; the next leader
        publishes it again). Then the jobs after their current round, then close."""
        self.relay.stop()
        if self._relay_task is not None:
            try:
                await asyncio.wait_for(self._relay_task, self.settings.outbox_stop_timeout_s)
            except TimeoutError:
                log.warning(
                    "the outbox relay did not finish its batch in time; cancelled, the batch is published"
                    " again by the next leader",
                    schema=self.schema,
                    timeout_s=self.settings.outbox_stop_timeout_s,
                )
            except asyncio.CancelledError:
                if not self._relay_task.cancelled():
                    raise  # not the relay: this stop itself is being cancelled
        await self.jobs.stop()
        await self.identity_listener.stop()
        await self.relay.producer.stop()  # the relay's current one: it renews a producer that died
        await self.pool.close()


async def migrate_service(
    settings: Settings, service: str, migrations: Sequence[Path], privileges: TablePrivileges | None = None
) -> None:
    """As the owner: apply the identity schema's and the service's migrations, then give the
    service's runtime role exactly its declared privileges (making the role where it may)."""
    owner_url, schema = settings.owner_url(), settings.schema_for(service)
    await migrate_identity(owner_url, settings.identity_schema)
    applied = await migrate(owner_url, schema, migrations)
    if applied:
        log.info("migrations applied", schema=schema, versions=applied)
    role = settings.runtime_role(service)
    if role is None or role == user_of(owner_url):
        log.warning("the service runs as the owner of its tables: least privilege is off", service=service)
        return
    connection = await asyncpg.connect(owner_url)
    try:
        await ensure_login_role(connection, role)
        await grant_privileges(
            connection,
            role,
            {schema: privileges or TablePrivileges(), settings.identity_schema: IDENTITY_PRIVILEGES},
        )
    finally:
        await connection.close()


def migrate_command(service: str, migrations: Sequence[Path], privileges: TablePrivileges | None) -> int:
    """`homeward <service> migrate`: the migration step alone, as the owner (an init container's
    job where the service itself runs with HOMEWARD_MIGRATE_ON_START=false)."""
    from .logging import configure_logging

    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_format)
    asyncio.run(migrate_service(settings, service, migrations, privileges))
    role = settings.runtime_role(service) or "the owner"
    print(f"{service}: schema {settings.schema_for(service)} migrated; the service runs as {role}")
    return 0
