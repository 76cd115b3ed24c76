"""How a service's faststream broker reaches a cluster and joins its consumer groups: every address
of a comma-separated bootstrap list is tried (a cluster with a node down is still reached), and each
consumer joins as a static member under the replica's instance id when it has one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from shared.kafka.broker import create_broker
from shared.kafka.subscriptions import subscriber_options
from shared.topics import TopicSpec, ensure_topics
from tests.conftest import Isolated
from tests.support import eventually

pytestmark = pytest.mark.integration

# nothing listens on port 1: the first address of the list is a broker that is down
DOWN = "127.0.0.1:1"


@pytest.fixture
async def topic(isolated: Isolated) -> str:
    spec = TopicSpec(f"{isolated.topic_prefix}membership.v1", partitions=1, retention_ms=3_600_000)
    await ensure_topics(isolated.settings.kafka_bootstrap_servers, [spec])
    return spec.name


MemberIds = Callable[[str], Awaitable[list[str]]]


@pytest.fixture
async def member_ids(kafka_bootstrap: str) -> AsyncIterator[MemberIds]:
    """The member ids of a group once it is stable (none before)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()

    async def of(group: str) -> list[str]:
        (described,) = await admin.describe_consumer_groups([group])
        return [
            member[0]
            for _error, _name, state, _kind, _protocol, members in described.groups
            if state == "Stable"
            for member in members
        ]

    yield of
    await admin.close()


async def consume(isolated: Isolated, topic: str, group: str, **settings: object) -> KafkaBroker:
    async def handle(body: bytes) -> None:
        return None

    broker = create_broker(isolated.settings.model_copy(update=settings), "membership")
    broker.subscriber(topic, **subscriber_options(group))(handle)
    await broker.start()
    return broker


async def test_a_bootstrap_list_whose_first_broker_is_down_still_reaches_the_cluster(
    isolated: Isolated, topic: str, kafka_bootstrap: str, member_ids: MemberIds
) -> None:
    group = f"{topic}.listed"
    broker = await consume(isolated, topic, group, kafka_bootstrap_servers=f"{DOWN},{kafka_bootstrap}")
    try:
        assert await broker.ping(timeout=5.0)
        await eventually(lambda: member_ids(group), what="the consumer in its group")
    finally:
        await broker.stop()


async def test_each_consumer_joins_as_a_static_member_under_the_replicas_instance_id(
    isolated: Isolated, topic: str, member_ids: MemberIds
) -> None:
    static, dynamic = f"{topic}.static", f"{topic}.dynamic"
    first = await consume(isolated, topic, static, kafka_group_instance_id="referral-a")
    second = await consume(isolated, topic, dynamic)
    try:
        # the coordinator names a static member after its instance id, a dynamic one after its client
        (member,) = await eventually(lambda: member_ids(static), what="the static member")
        assert member.startswith("referral-a-")
        (member,) = await eventually(lambda: member_ids(dynamic), what="the dynamic member")
        assert member.startswith("homeward-membership-")
    finally:
        await first.stop()
        await second.stop()
