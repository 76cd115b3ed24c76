"""The local launcher, on a second broker of its own (other ports, other folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local import infra
from tests.support import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOMEWARD_LOCAL_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("HOMEWARD_LOCAL_KAFKA_PORT", "29092")
    monkeypatch.setenv("HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT", "29093")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    return tmp_path / "local"


def test_up_twice_reuses_and_status_notices_a_dead_broker(private_launcher: Path) -> None:
    broker = infra.kafka_broker()
    try:
        broker.start()
        first_pid = broker.pid()
        assert first_pid is not None
        assert (private_launcher / "kafka" / "server.log").read_text().count(
            f"Kafka version: {broker.version}"
        ) == 1

        broker.start()
        assert broker.pid() == first_pid  # reused, not a second broker

        broker.kill()
        assert infra.status()["kafka"] == "dead"

        broker.start()  # storage is already formatted: it comes back with its data
        assert broker.pid() not in (None, first_pid)
        assert infra.status()["kafka"] == "running"
    finally:
        broker.stop()
    assert infra.status()["kafka"] == "stopped"


def test_missing_java_is_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"KAFKA_BOOTSTRAP_SERVERS"}}
    env.update(
        PATH=str(tmp_path),  # no java, no mvn
        HOMEWARD_LOCAL_DIR=str(tmp_path / "local"),
        HOMEWARD_LOCAL_KAFKA_PORT=str(free_port()),  # nothing listens there: the launcher must start one
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",  # external: nothing to start
    )
    result = subprocess.run(
        [sys.executable, "-m", "homeward.cli", "infra", "up"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'java' was not found" in lines[0]
    assert "Install a Java 17+ runtime" in lines[0]
    assert "Traceback" not in result.stderr
