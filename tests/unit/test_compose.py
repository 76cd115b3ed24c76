"""docker-compose.yml is the alternative to `make run`: it must name only files that exist, and run
the three services from the one image the way deploy/k8s does."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
SERVICES = {"intake": 8001, "referral": 8002, "grants": 8003, "reporting": 8004}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text()))


def test_compose_runs_kafka_in_kraft_mode_and_postgres_16() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["postgres"]["image"] == "postgres:16"


def test_every_file_compose_names_exists() -> None:
    document = compose()
    referenced: list[Path] = []
    for name, service in document["services"].items():
        build = service.get("build")
        if isinstance(build, dict):
            context = REPO / build.get("context", ".")
            referenced.append(context / build.get("dockerfile", "Dockerfile"))
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith((".", "/")):
                referenced.append((REPO / source).resolve())
        assert "image" in service or "build" in service, name
    for anchor in [v for k, v in document.items() if k.startswith("x-")]:
        build = anchor.get("build", {})
        if build:
            referenced.append(REPO / build.get("context", ".") / build.get("dockerfile", "Dockerfile"))
    missing = [str(p.relative_to(REPO)) for p in referenced if not p.exists()]
    assert referenced, "compose names no file at all: the test would prove nothing"
    assert missing == []


def test_the_dockerfile_copies_only_what_exists_and_runs_unprivileged() -> None:
    dockerfile = (REPO / "deploy/docker/Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY") and "--from" not in line:
            for source in [word for word in line.split()[1:-1] if not word.startswith("--")]:
                assert (REPO / source).exists(), source
    assert "\nUSER " in dockerfile
    assert "USER root" not in dockerfile


def test_the_image_user_is_numeric_so_kubernetes_can_enforce_run_as_non_root() -> None:
    users = [line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("USER ")]
    assert users, "no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit(), uid
    assert int(uid) != 0


def test_the_build_context_is_an_allowlist_that_reaches_every_copy() -> None:
    # .local/ holds the development database: it must never be sent to a builder
    ignore = (DOCKERFILE.parent / f"{DOCKERFILE.name}.dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY") and "--from" not in line:
            for source in [word for word in line.split()[1:-1] if not word.startswith("--")]:
                assert any(source == a or source.startswith(f"{a}/") for a in allowed), source


@pytest.mark.parametrize(("name", "port"), SERVICES.items())
def test_each_service_runs_from_the_image_on_its_port_with_a_healthcheck(name: str, port: int) -> None:
    service = compose()["services"][name]
    assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert service["command"] == [name, "--host", "0.0.0.0", "--port", str(port)]  # noqa: S104
    assert f"127.0.0.1:{port}:{port}" in service["ports"]
    config_dir = service["environment"]["HOMEWARD_CONFIG_DIR"]
    assert f"./deploy/config:{config_dir}:ro" in service["volumes"]
    check = " ".join(service["healthcheck"]["test"])
    assert "urllib.request" in check
    assert f"http://127.0.0.1:{port}/healthz" in check
    assert service["depends_on"]["kafka"] == {"condition": "service_healthy"}
    assert service["depends_on"][f"{name}-migrate"] == {"condition": "service_completed_successfully"}
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]


@pytest.mark.parametrize("name", ["intake", "referral", "grants", "reporting"])
def test_each_service_logs_in_as_its_own_role_and_only_its_migration_step_as_the_owner(name: str) -> None:
    services = compose()["services"]
    service, migrate = services[name], services[f"{name}-migrate"]
    assert urlsplit(service["environment"]["DATABASE_URL"]).username == f"homeward_{name}"
    assert service["environment"]["HOMEWARD_MIGRATE_ON_START"] == "false"
    assert migrate["command"] == [name, "migrate"]
    assert urlsplit(migrate["environment"]["DATABASE_URL"]).username == "homeward_owner"
    assert migrate["environment"]["HOMEWARD_DB_RUNTIME_ROLE"].format(service=name) == f"homeward_{name}"
    roles = (REPO / "deploy/docker/postgres-roles.sql").read_text()
    assert f"CREATE ROLE homeward_{name} LOGIN NOINHERIT" in roles
    assert "homeward_owner" not in str(service["environment"])


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def _run_healthcheck(port: int) -> int:
    """The exact command compose runs for intake, pointed at `port`; its exit status."""
    test = compose()["services"]["intake"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    command = [sys.executable, *test[2:]]
    command[-1] = command[-1].replace("127.0.0.1:8001", f"127.0.0.1:{port}")
    return subprocess.run(command, capture_output=True, timeout=10, check=False).returncode


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_the_healthcheck_passes_only_on_a_2xx_from_healthz(status: int, healthy: bool) -> None:
    handler = type("Handler", (_Health,), {"status": status})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            assert (_run_healthcheck(server.server_address[1]) == 0) is healthy
        finally:
            server.shutdown()


def test_the_healthcheck_fails_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    assert _run_healthcheck(free_port) != 0
