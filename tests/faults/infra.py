"""A PRIVATE Kafka (one broker, or a three-node cluster) and PostgreSQL for the fault tests: they
stop, restart and kill what they run on, so they never run on the broker and database every other
test (and helper) shares.

The launcher's own classes, pointed at a temporary folder and free ports; the Kafka jars come from
the shared cache, so nothing is downloaded again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from deploy.local.infra import cache_dir
from deploy.local.kafka_broker import KafkaBroker
from deploy.local.kafka_cluster import KafkaCluster
from deploy.local.postgres_server import PostgresServer
from tests.support import free_port


@dataclass(frozen=True)
class PrivateInfra:
    """One broker (started and stopped here) on a PostgreSQL the package's fixture runs."""

    broker: KafkaBroker
    postgres: PostgresServer

    @classmethod
    def in_folder(cls, root: Path, postgres: PostgresServer) -> PrivateInfra:
        return cls(KafkaBroker(root, cache_dir(), port=free_port(), controller_port=free_port()), postgres)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    @property
    def database_url(self) -> str:
        return self.postgres.dsn

    def start(self) -> None:
        self.broker.start()

    def stop(self) -> None:
        self.broker.stop()

    # the launcher blocks (subprocesses, polling); from a test's event loop run it on a thread,
    # so the test's own producers and HTTP clients keep running meanwhile

    async def stop_broker(self) -> None:
        await asyncio.to_thread(self.broker.stop)

    async def start_broker(self) -> float:
        return await asyncio.to_thread(self.broker.start)

    async def stop_postgres(self) -> None:
        await asyncio.to_thread(self.postgres.stop)

    async def start_postgres(self) -> float:
        return await asyncio.to_thread(self.postgres.start)


@dataclass(frozen=True)
class PrivateCluster:
    """Three Kafka nodes (`homeward infra up --brokers 3`'s cluster, on free ports) on the
    package's PostgreSQL."""

    cluster: KafkaCluster
    postgres: PostgresServer

    @classmethod
    def in_folder(cls, root: Path, postgres: PostgresServer, size: int = 3) -> PrivateCluster:
        ports = tuple(free_port() for _ in range(size))
        controller_ports = tuple(free_port() for _ in range(size))
        return cls(KafkaCluster(root, cache_dir(), ports, controller_ports), postgres)

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap

    @property
    def database_url(self) -> str:
        return self.postgres.dsn

    async def start(self) -> float:
        """Every node up (those running are kept); the seconds until the cluster listed them all."""
        return await asyncio.to_thread(self.cluster.start)

    def stop(self) -> None:
        self.cluster.stop()

    async def kill_node(self, node_id: int) -> None:
        await asyncio.to_thread(self.cluster.kill, node_id)

    async def start_node(self, node_id: int) -> float:
        return await asyncio.to_thread(self.cluster.start_node, node_id)
