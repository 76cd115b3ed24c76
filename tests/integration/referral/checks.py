"""Waiting for, and reading, what the service under test published and stored."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from services.referral.core.routing import Loads
from services.referral.core.status import OPEN
from shared.db import Pool
from shared.events import Category, Vulnerability
from shared.topics import TopicSpec
from tests.support import eventually

from .conftest import RunningReferral
from .recorder import Seen

VULNERABILITY_CODES = [v.value for v in Vulnerability]


async def published(
    referral: RunningReferral, *, key: object, type: str | None, count: int, topic: str = "*"
) -> list[Seen]:
    """Wait until `count` records of `type` (None: any) for case `key` were published; return them."""

    async def enough() -> list[Seen]:
        found = referral.recorder.find(topic=topic, key=key, type=type)
        return found if len(found) >= count else []

    return await eventually(enough, timeout=15, what=f"{count} {type or 'records'} for case {key} on {topic}")


async def dead_letters(referral: RunningReferral, topic: str, key: object, count: int) -> list[Seen]:
    """Dead letters of `topic`'s consumer (`<topic>.dlq`) for case `key`, once `count` are there."""
    return await dead_letters_on(referral, f"{topic}.dlq", key, count)


async def dead_letters_on(referral: RunningReferral, dlq: str, key: object, count: int) -> list[Seen]:
    """Records for case `key` on the dead-letter topic `dlq` (a name without the prefix)."""

    async def enough() -> list[Seen]:
        found = referral.recorder.find(topic=dlq, key=key)
        return found if len(found) >= count else []

    return await eventually(enough, timeout=15, what=f"{count} dead letters on {dlq}")


async def metric(referral: RunningReferral, name: str, **labels: str) -> float:
    """The sum of `name`'s samples with these labels, as /metrics shows them now."""
    page = await referral.client.get("/metrics")
    assert page.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def statuses(referral: RunningReferral, case_id: object) -> list[tuple[str, str]]:
    """(category, status) of every ReferralStatusChanged for the case, in publication order."""
    return [
        (s.data["category"], s.data["status"])
        for s in referral.recorder.find(topic="referral.status.v1", key=case_id, type="ReferralStatusChanged")
    ]


async def consumed_to_the_end(referral: RunningReferral, topic: TopicSpec, consumer: str) -> None:
    """Wait until the service's consumer group `consumer` has committed every record now on `topic`
    (so a message sent before this call has been handled, whatever other topics are doing)."""
    bootstrap = referral.settings.kafka_bootstrap_servers
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        ends = await reader.end_offsets(partitions)
        group = f"{referral.settings.topic_prefix}{consumer}"

        async def caught_up() -> bool:
            committed = await admin.list_consumer_group_offsets(group)
            return all(
                end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items()
            )

        await eventually(caught_up, timeout=15, what=f"{group} to consume {topic.name} to its end")
    finally:
        await admin.close()
        await reader.stop()


async def places_in_use(pool: Pool) -> Loads:
    """Places in use per (partner, category), counted afresh from the open referrals: what the
    service keeps in partner_places must always equal this."""
    rows = await pool.fetch(
        "SELECT partner_id, category, count(*) AS used FROM referrals"
        " WHERE status = ANY($1::text[]) GROUP BY partner_id, category",
        [s.value for s in OPEN],
    )
    return {(r["partner_id"], Category(r["category"])): int(r["used"]) for r in rows}
