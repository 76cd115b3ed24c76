"""docker-compose.yml is the alternative to `make run`: it must name only files that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


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
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), source
    assert "\nUSER " in dockerfile
    assert "USER root" not in dockerfile
