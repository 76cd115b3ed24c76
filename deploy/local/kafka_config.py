"""The `server.properties` of a local Kafka node: the single broker `homeward infra up` runs, or one
of the three nodes of `homeward infra up --brokers 3` (KRaft, each node broker and controller).

Only what differs from Kafka's defaults is written, each with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.topics import min_insync_replicas

ADMIN_USER = "admin"


@dataclass(frozen=True)
class Quorum:
    """The KRaft controllers every node of one cluster lists: (node id, controller port) each.

    A static voter set (`controller.quorum.voters`): the local cluster's three nodes are fixed, so
    nothing is gained from KIP-853's dynamic quorum, whose formatting differs per node."""

    voters: tuple[tuple[int, int], ...]

    def line(self) -> str:
        return ",".join(f"{node}@127.0.0.1:{port}" for node, port in self.voters)

    @property
    def size(self) -> int:
        return len(self.voters)


# A node that stops answering is fenced after this long (Kafka's default: 9 s), which is what moves
# its partitions' leadership and shrinks their in-sync replicas: the failover time of a broker crash.
# Heartbeats every 500 ms let a busy two-core machine miss a few before a live broker is fenced.
BROKER_HEARTBEAT_MS = 500
BROKER_SESSION_TIMEOUT_MS = 3000


def server_properties(
    *,
    node_id: int,
    port: int,
    controller_port: int,
    quorum: Quorum,
    data_dir: Path,
    secured: bool = False,
    sasl_host: str = "127.0.0.1",
    sasl_port: int = 19094,
) -> str:
    replication = quorum.size
    lines = [
        "process.roles=broker,controller",
        f"node.id={node_id}",
        f"controller.quorum.voters={quorum.line()}",
        *_listener_lines(port, controller_port, secured, sasl_host, sasl_port),
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data_dir}",
        # topics come from the registry in shared/topics.py, never from a typo
        "auto.create.topics.enable=false",
        "num.partitions=3",
        "offsets.topic.num.partitions=6",
        # every replica a node can have: the internal topics too, so that losing one node loses no
        # committed offset and no coordinator
        *_replication_lines(replication),
        # a local cluster: no reason to wait for more members before a rebalance
        "group.initial.rebalance.delay.ms=0",
        "delete.topic.enable=true",
    ]
    if replication > 1:
        lines += [
            # never elect a replica that misses acknowledged events (Kafka's default, said aloud)
            "unclean.leader.election.enable=false",
            f"broker.heartbeat.interval.ms={BROKER_HEARTBEAT_MS}",
            f"broker.session.timeout.ms={BROKER_SESSION_TIMEOUT_MS}",
        ]
    return "\n".join([*lines, ""])


def _replication_lines(replication: int) -> Sequence[str]:
    min_isr = min_insync_replicas(replication)
    return [
        # what topics get when their creator names no replication (shared.topics asks for this)
        f"default.replication.factor={replication}",
        f"min.insync.replicas={min_isr}",
        f"offsets.topic.replication.factor={replication}",
        f"transaction.state.log.replication.factor={replication}",
        f"transaction.state.log.min.isr={min_isr}",
        f"share.coordinator.state.topic.replication.factor={replication}",
        f"share.coordinator.state.topic.min.isr={min_isr}",
    ]


def _listener_lines(
    port: int, controller_port: int, secured: bool, sasl_host: str, sasl_port: int
) -> list[str]:
    plain = f"PLAINTEXT://127.0.0.1:{port}"
    controller = f"CONTROLLER://127.0.0.1:{controller_port}"
    if not secured:
        return [
            f"listeners={plain},{controller}",
            f"advertised.listeners={plain}",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        ]
    advertised = "127.0.0.1" if sasl_host in ("0.0.0.0", "") else sasl_host  # noqa: S104
    return [
        f"listeners={plain},SASL_PLAINTEXT://{sasl_host}:{sasl_port},{controller}",
        f"advertised.listeners={plain},SASL_PLAINTEXT://{advertised}:{sasl_port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
        "CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms=SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found=false",
        # the broker and controller talk over the loopback PLAINTEXT listeners as ANONYMOUS
        f"super.users=User:ANONYMOUS;User:{ADMIN_USER}",
    ]
