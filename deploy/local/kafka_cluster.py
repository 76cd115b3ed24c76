"""A real three-node Kafka cluster on 127.0.0.1 (`homeward infra up --brokers 3`), from the same
Maven jars as the single broker.

Three combined nodes, each broker and KRaft controller at once, rather than controllers and brokers
apart (as production runs them, deploy/k8s/kafka/): six JVMs do not fit a developer's laptop or the
two-core machine the tests run on, and three voters already survive the loss of one node — which
with combined nodes is a broker and a controller lost together, the harder failover of the two.

Each node has its own ports (the broker's port, and its controller's, 100 apart per node: 19092,
19192, 19292 and 19093, 19193, 19293 by default), folder (`kafka-cluster/node-<id>/`: data,
server.properties, server.log, kafka.pid) and JVM; all three are formatted with one cluster id, kept
in `kafka-cluster/cluster.id`, and list the same three voters. Topics created without a replication
of their own get 3 copies and `min.insync.replicas=2`, and so do the internal ones (consumer
offsets, transactions).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .kafka_broker import JAVA_HINT, MAIN_CLASS, KafkaBroker, new_cluster_id
from .kafka_config import Quorum
from .kafka_probe import live_brokers
from .processes import InfraError, pid_is_alive, require_tool

NODE_PORT_STEP = 100
# per node: small, since three run beside the services on one machine; a local cluster holds little
NODE_HEAP, NODE_HEAP_MIN = "384m", "128m"


@dataclass(frozen=True)
class KafkaCluster:
    root: Path  # the local folder, e.g. <repo>/.local
    cache: Path  # where resolved jars are kept, shared by every local folder
    ports: tuple[int, ...]  # each node's broker port, node 1 first
    controller_ports: tuple[int, ...]  # each node's controller port
    folder: str = "kafka-cluster"

    @classmethod
    def on_ports(
        cls, root: Path, cache: Path, port: int, controller_port: int, size: int = 3
    ) -> KafkaCluster:
        """`size` nodes whose ports step by 100 from `port` and `controller_port`."""
        return cls(
            root,
            cache,
            tuple(port + NODE_PORT_STEP * i for i in range(size)),
            tuple(controller_port + NODE_PORT_STEP * i for i in range(size)),
        )

    @property
    def quorum(self) -> Quorum:
        return Quorum(tuple((i + 1, port) for i, port in enumerate(self.controller_ports)))

    @property
    def nodes(self) -> list[KafkaBroker]:
        return [
            KafkaBroker(
                self.root,
                self.cache,
                port=port,
                controller_port=controller_port,
                heap=NODE_HEAP,
                heap_min=NODE_HEAP_MIN,
                node_id=i + 1,
                quorum=self.quorum,
                folder=f"{self.folder}/node-{i + 1}",
            )
            for i, (port, controller_port) in enumerate(zip(self.ports, self.controller_ports, strict=True))
        ]

    def node(self, node_id: int) -> KafkaBroker:
        return self.nodes[node_id - 1]

    @property
    def node_ids(self) -> set[int]:
        return set(range(1, len(self.ports) + 1))

    @property
    def bootstrap(self) -> str:
        """Every node: a client that finds one of them down asks the next."""
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def home(self) -> Path:
        return self.root / self.folder

    @property
    def cluster_id_file(self) -> Path:
        return self.home / "cluster.id"

    @property
    def version(self) -> str:
        return self.nodes[0].version

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> float:
        """Start every node that is not running (or reuse those that are); return the seconds until
        the cluster's metadata lists all of them."""
        began = time.monotonic()
        if live_brokers(self.bootstrap) == self.node_ids and all(n.pid() for n in self.nodes):
            return time.monotonic() - began
        java = require_tool("java", "the local Kafka cluster", JAVA_HINT)
        for node in self.nodes:
            if node.pid() is None and live_brokers(node.bootstrap):
                raise InfraError(
                    f"another Kafka answers at {node.bootstrap}, where node {node.node_id} of the cluster"
                    " belongs (the single broker? `homeward infra down` stops it)"
                )
        cluster_id = self._cluster_id()
        for node in self.nodes:
            node.prepare(java, cluster_id)
            formatted_as = _formatted_cluster_id(node)
            if formatted_as != cluster_id:
                raise InfraError(
                    f"{node.data_dir} belongs to cluster {formatted_as}, not {cluster_id}"
                    f" ({self.cluster_id_file}); remove {self.home} to start afresh"
                )
        # all launched before any is waited for: one node alone has no quorum, and never answers
        for node in self.nodes:
            if node.pid() is None:
                node.launch(java)
        try:
            self.wait_for(self.node_ids, began, timeout)
        except InfraError:
            self.stop()  # a cluster short of a node is not what was asked for: nothing left running
            raise
        return time.monotonic() - began

    def wait_for(self, node_ids: set[int], began: float, timeout: float) -> None:
        """Until the cluster's metadata lists exactly `node_ids` as live brokers."""
        while time.monotonic() - began < timeout:
            for node in self.nodes:
                if node.node_id in node_ids and node.exited():
                    raise InfraError(
                        f"Kafka node {node.node_id} exited at start-up; see {node.log_file}"
                        f" and {node.home / 'kafka.out'}"
                    )
            if live_brokers(self.bootstrap) == node_ids:
                return
            time.sleep(0.2)
        raise InfraError(
            f"the Kafka cluster did not list brokers {sorted(node_ids)} within {timeout:.0f}s;"
            f" see {self.home}/node-*/server.log"
        )

    def start_node(self, node_id: int, timeout: float = 90.0) -> float:
        """Start one node again (on its data) and wait until the cluster lists it."""
        began = time.monotonic()
        node = self.node(node_id)
        if node.pid() is None:
            node.launch(require_tool("java", "the local Kafka cluster", JAVA_HINT))
        self.wait_for({n.node_id for n in self.nodes if n.pid() is not None}, began, timeout)
        return time.monotonic() - began

    def kill(self, node_id: int) -> None:
        """SIGKILL one node: a crash, for fault tests."""
        self.node(node_id).kill()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to every node at once, then wait (SIGKILL past `timeout`). Together, not one by
        one: the last node alone has no quorum, and its controlled shutdown would wait for one."""
        running = [(node, pid) for node in self.nodes if (pid := node.pid()) is not None]
        for _, pid in running:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node, pid in running:
            while pid_is_alive(pid, MAIN_CLASS) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid_is_alive(pid, MAIN_CLASS):
                node.kill()
        for node in self.nodes:
            node.pid_file.unlink(missing_ok=True)

    def states(self) -> dict[int, str]:
        """Per node: running (its process lives and the cluster lists it), dead (a process but not
        listed, or a pid file and no process), or stopped."""
        listed = live_brokers(self.bootstrap)
        report = {}
        for node in self.nodes:
            if node.pid() is None:
                report[node.node_id] = "dead" if node.pid_file.exists() else "stopped"
            else:
                report[node.node_id] = "running" if node.node_id in listed else "dead"
        return report

    def _cluster_id(self) -> str:
        """The id every node is formatted with: made once, then read from `cluster.id`."""
        if self.cluster_id_file.exists():
            return self.cluster_id_file.read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        cluster_id = new_cluster_id()
        self.cluster_id_file.write_text(cluster_id + "\n")
        return cluster_id


def _formatted_cluster_id(node: KafkaBroker) -> str | None:
    for line in (node.data_dir / "meta.properties").read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1].strip()
    return None
