"""A rebuild replays the topics from their first event; when the broker no longer holds it
(retention deleted it), the rebuild refuses to start instead of swapping in a smaller model."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import TopicPartition

from services.reporting.app import MIGRATION_FOLDERS, service_topics
from services.reporting.core.errors import ReplayIncomplete
from services.reporting.store import PRIVILEGES
from services.reporting.store import model as model_store
from services.reporting.use_cases.context import ReportingContext
from services.reporting.use_cases.rebuild import rebuild
from shared.db import create_pool
from shared.runtime import migrate_service
from shared.topics import Topics, ensure_topics
from tests.conftest import Isolated
from tests.support import publish

pytestmark = pytest.mark.integration


async def test_a_rebuild_refuses_when_the_first_events_are_gone(isolated: Isolated) -> None:
    settings = isolated.with_schema("reporting")
    topics = Topics(settings.topic_prefix)
    await migrate_service(settings, "reporting", MIGRATION_FOLDERS, PRIVILEGES)
    await ensure_topics(settings.kafka_bootstrap_servers, service_topics(settings))
    checkpoints = topics.ledger_checkpoints.name
    await publish(settings.kafka_bootstrap_servers, checkpoints, [b"{}", b"{}"])
    pool = await create_pool(settings.runtime_url("reporting"), settings.schema_for("reporting"), max_size=2)
    try:
        context = ReportingContext(pool, topics, settings)
        first = await rebuild(context)  # everything is there: it rebuilds (two malformed records skipped)
        assert first.events == 2
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_records({TopicPartition(checkpoints, 0): RecordsToDelete(before_offset=1)})
        finally:
            await admin.close()
        with pytest.raises(ReplayIncomplete, match="no longer holds the first events"):
            await rebuild(context)
        async with pool.acquire() as connection:
            assert await model_store.live_generation(connection) == first.generation  # unchanged
    finally:
        await pool.close()
