"""`homeward infra up --brokers 3`, on a cluster of its own (other ports, other folder): three nodes
formatted with one cluster id, `status` and `down` about each of them, and topics made with three
copies and `min.insync.replicas=2`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.local import infra
from shared.topics import Topics, ensure_topics
from tests.support import eventually

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PORT, CONTROLLER_PORT = 28092, 28093  # nodes on 28092, 28192, 28292 (controllers one up)


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment of a private local folder whose PostgreSQL is someone else's (nothing to start)."""
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(
        HOMEWARD_LOCAL_DIR=str(tmp_path / "local"),
        HOMEWARD_LOCAL_KAFKA_PORT=str(PORT),
        HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT=str(CONTROLLER_PORT),
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
    )
    for name in ("HOMEWARD_LOCAL_DIR", "HOMEWARD_LOCAL_KAFKA_PORT", "HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    try:
        yield env
    finally:
        infra.kafka_cluster().stop()  # whatever the test left running


def homeward(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "homeward.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


def states(output: str) -> dict[str, str]:
    return dict(line.split() for line in output.strip().splitlines())


async def test_three_nodes_come_up_as_one_cluster_and_go_down_together(local: dict[str, str]) -> None:
    up = homeward(local, "infra", "up", "--brokers", "3")
    assert up.returncode == 0, up.stderr
    cluster = infra.kafka_cluster()
    assert f"KAFKA_BOOTSTRAP_SERVERS={cluster.bootstrap}" in up.stdout
    assert cluster.bootstrap.count(",") == 2

    cluster_id = cluster.cluster_id_file.read_text().strip()
    for node in cluster.nodes:
        assert f"cluster.id={cluster_id}" in (node.data_dir / "meta.properties").read_text()
    status = homeward(local, "infra", "status")
    assert states(status.stdout) == {
        "kafka-1": "running",
        "kafka-2": "running",
        "kafka-3": "running",
        "postgres": "external",
    }
    assert status.returncode == 0

    topics = Topics("launcher.")
    await ensure_topics(cluster.bootstrap, [topics.returnees])  # the cluster says how many copies
    await ensure_topics(cluster.bootstrap, [topics.referral_status], replication=2)  # the settings say
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    await admin.start()
    try:
        for spec, copies, needed in ((topics.returnees, 3, "2"), (topics.referral_status, 2, "1")):

            async def replicas(name: str = spec.name) -> set[int]:
                # a topic just made may not be in every broker's metadata yet
                (described,) = await admin.describe_topics([name])
                return {len(p["replicas"]) for p in described["partitions"]}

            async def min_insync(name: str = spec.name) -> str | None:
                # the broker asked may not know the topic's configuration yet either: it answers no entries
                (answer,) = await admin.describe_configs(
                    [ConfigResource(ConfigResourceType.TOPIC, name, {"min.insync.replicas": None})]
                )
                entries = answer.to_object()["resources"][0]["config_entries"]
                return entries[0]["config_value"] if entries else None

            assert await eventually(replicas, what=f"{spec.name}'s partitions") == {copies}
            assert await eventually(min_insync, what=f"{spec.name}'s min.insync.replicas") == needed
    finally:
        await admin.close()

    cluster.kill(2)
    status = homeward(local, "infra", "status")
    assert states(status.stdout)["kafka-2"] == "dead"
    assert states(status.stdout)["kafka-1"] == "running"
    assert status.returncode == 1

    down = homeward(local, "infra", "down")
    assert down.returncode == 0, down.stderr
    assert all(node.pid() is None for node in cluster.nodes)
    assert set(states(homeward(local, "infra", "status").stdout).values()) == {"stopped", "external"}
