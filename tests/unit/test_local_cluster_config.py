"""The local Kafka's configuration, without starting it: one broker, or three nodes that form one
KRaft quorum and keep three copies of everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.local import infra
from deploy.local.kafka_cluster import KafkaCluster
from deploy.local.kafka_config import Quorum, server_properties
from shared.topics import min_insync_replicas


def properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_the_single_broker_is_a_quorum_of_itself_and_keeps_one_copy(tmp_path: Path) -> None:
    single = properties(
        server_properties(
            node_id=1, port=19092, controller_port=19093, quorum=Quorum(((1, 19093),)), data_dir=tmp_path
        )
    )
    assert single["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert single["default.replication.factor"] == "1"
    assert single["offsets.topic.replication.factor"] == "1"
    assert single["min.insync.replicas"] == "1"
    assert "broker.session.timeout.ms" not in single  # Kafka's own failover timing: nothing fails over


def test_three_nodes_share_one_quorum_and_keep_three_copies_of_everything(tmp_path: Path) -> None:
    cluster = KafkaCluster.on_ports(tmp_path, tmp_path / "cache", port=19092, controller_port=19093)
    nodes = cluster.nodes
    configs = [
        properties(
            server_properties(
                node_id=n.node_id,
                port=n.port,
                controller_port=n.controller_port,
                quorum=cluster.quorum,
                data_dir=n.data_dir,
            )
        )
        for n in nodes
    ]
    assert [n.port for n in nodes] == [19092, 19192, 19292]
    assert [n.controller_port for n in nodes] == [19093, 19193, 19293]
    assert cluster.bootstrap == "127.0.0.1:19092,127.0.0.1:19192,127.0.0.1:19292"
    assert len({n.data_dir for n in nodes}) == 3
    voters = "1@127.0.0.1:19093,2@127.0.0.1:19193,3@127.0.0.1:19293"
    for number, config in enumerate(configs, start=1):
        step = 100 * (number - 1)
        assert config["node.id"] == str(number)
        assert config["process.roles"] == "broker,controller"
        assert config["controller.quorum.voters"] == voters
        assert config["listeners"] == (
            f"PLAINTEXT://127.0.0.1:{19092 + step},CONTROLLER://127.0.0.1:{19093 + step}"
        )
        for copies in ("default.replication.factor", "offsets.topic.replication.factor"):
            assert config[copies] == "3"
        assert config["transaction.state.log.replication.factor"] == "3"
        assert config["min.insync.replicas"] == "2"
        assert config["unclean.leader.election.enable"] == "false"
        # a crashed node loses its partitions' leadership within seconds, not Kafka's default nine
        assert int(config["broker.session.timeout.ms"]) <= 3000


@pytest.mark.parametrize(("copies", "needed"), [(1, 1), (2, 1), (3, 2), (5, 2)])
def test_a_write_needs_two_copies_once_there_are_three(copies: int, needed: int) -> None:
    assert min_insync_replicas(copies) == needed


def test_moving_the_broker_port_moves_its_controller_and_sasl_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second checkout (or CI beside a developer's broker) sets HOMEWARD_LOCAL_KAFKA_PORT alone: its
    controller must not try to bind the first broker's controller port."""
    monkeypatch.setenv("HOMEWARD_LOCAL_KAFKA_PORT", "29092")
    monkeypatch.delenv("HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT", raising=False)
    monkeypatch.delenv("HOMEWARD_LOCAL_KAFKA_SASL_PORT", raising=False)
    broker = infra.kafka_broker()
    assert (broker.port, broker.controller_port, broker.sasl_port) == (29092, 29093, 29094)
    assert infra.kafka_cluster().controller_ports == (29093, 29193, 29293)
    monkeypatch.setenv("HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT", "30000")
    assert infra.kafka_broker().controller_port == 30000
