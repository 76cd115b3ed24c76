"""A private secured broker (the launcher's secured mode, on free ports in a temporary folder) and
clients that log in to it as Homeward's principals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import SecretStr

from deploy.kafka.access import desired_access
from deploy.kafka.admin import loopback
from deploy.kafka.sync import SyncReport, sync_access
from deploy.local.infra import cache_dir
from deploy.local.kafka_broker import KafkaBroker
from shared.kafka.security import kafka_security_options
from shared.settings import Settings
from shared.topics import Topics
from tests.support import free_port

PARTNERS = ["alpha", "alpha-shelter", "beta"]  # alpha-shelter: an id that starts like another


@dataclass
class SecuredKafka:
    broker: KafkaBroker
    credentials: Path
    topics: Topics

    @property
    def admin_bootstrap(self) -> str:  # the loopback PLAINTEXT listener: super user
        return self.broker.bootstrap

    def password(self, user: str) -> str:
        return (self.credentials / f"{user}.password").read_text()

    def settings(self, user: str, password: str | None = None) -> Settings:
        """A service's or partner's settings: SCRAM-SHA-512 on the SASL listener."""
        return Settings(
            kafka_bootstrap_servers=self.broker.sasl_bootstrap,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=user,
            kafka_sasl_password=SecretStr(password if password is not None else self.password(user)),
        )

    def login(self, user: str, password: str | None = None) -> dict[str, object]:
        settings = self.settings(user, password)
        return {"bootstrap_servers": settings.kafka_bootstrap_servers, **kafka_security_options(settings)}

    def producer(self, user: str, password: str | None = None) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **self.login(user, password), acks="all", enable_idempotence=True, request_timeout_ms=5000
        )

    def consumer(self, user: str, *topics: str, group: str | None = None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            **self.login(user),
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            request_timeout_ms=5000,
        )

    async def sync(self, partners: list[str]) -> SyncReport:
        return await sync_access(
            loopback(self.admin_bootstrap), desired_access(partners, self.topics), self.credentials
        )


@pytest.fixture(scope="module")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    root = tmp_path_factory.mktemp("secured-kafka")
    broker = KafkaBroker(
        root, cache_dir(), port=free_port(), controller_port=free_port(), secured=True, sasl_port=free_port()
    )
    try:
        broker.start()
        yield SecuredKafka(broker, broker.credentials_dir, Topics())
    finally:
        broker.stop()  # also after a failed start: no broker outlives the module


async def broker_answers(kafka: SecuredKafka, user: str, topic: str) -> tuple[int, int]:
    """The error codes the broker gives `user` for `topic`: to a metadata request (Describe) and to
    a fetch of partition 0 sent straight to the broker (Read), as a client that knows the topic's
    layout would send it, past anything a client library checks first."""
    from aiokafka.client import AIOKafkaClient
    from aiokafka.protocol.fetch import FetchRequest
    from aiokafka.protocol.metadata import MetadataRequest

    client = AIOKafkaClient(**kafka.login(user))
    await client.bootstrap()
    try:
        node = client.get_random_node()
        metadata = (await client.send(node, MetadataRequest([topic]))).to_object()
        [described] = metadata["topics"]
        partition_0 = (topic, [(0, 0, 1 << 20)])  # (partition, offset, max bytes)
        fetch = FetchRequest(
            max_wait_time=100, min_bytes=1, max_bytes=1 << 20, isolation_level=0, topics=[partition_0]
        )
        fetched = await client.send(node, fetch)
        [(_, [(_, fetch_error, *_)])] = fetched.topics  # (topic, [(partition, error_code, ...)])
        return int(described["error_code"]), int(fetch_error)
    finally:
        await client.close()
