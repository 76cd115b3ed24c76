"""Services run as real processes (`python -m homeward.cli <service>`), so a fault test can
SIGKILL one, and so a broker or database outage hits them the way it would in production."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from shared.db import create_pool
from shared.identity.model import Role
from shared.identity.store import IdentityStore, migrate_identity
from tests.support import every_programme, free_port

REPO = Path(__file__).resolve().parents[2]
# settings that would override the private infrastructure's: the HOMEWARD_ names win over the bare ones
SHADOWING = ("HOMEWARD_KAFKA_BOOTSTRAP_SERVERS", "HOMEWARD_DATABASE_URL")


@dataclass(frozen=True)
class Corner:
    """One test's corner of the private infrastructure: its topic prefix and schema names."""

    bootstrap: str
    database_url: str
    prefix: str
    base: str  # schema names derive from it
    config_dir: Path

    @property
    def identity_schema(self) -> str:
        return f"{self.base}_identity"

    def schema(self, service: str) -> str:
        return f"{self.base}_{service}"

    def env(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SHADOWING}
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            DATABASE_URL=self.database_url,
            HOMEWARD_TOPIC_PREFIX=self.prefix,
            HOMEWARD_DB_RUNTIME_ROLE="homeward_{service}",
            HOMEWARD_DB_SCHEMA=self.schema(service),
            HOMEWARD_IDENTITY_SCHEMA=self.identity_schema,
            HOMEWARD_CONFIG_DIR=str(self.config_dir),
            HOMEWARD_OUTBOX_POLL_INTERVAL_S="0.2",
            HOMEWARD_CONSUMER_BACKOFF_INITIAL_S="0.05",
            HOMEWARD_CONSUMER_BACKOFF_MAX_S="1.0",
            # the officers and caseworkers here write faster than a person: the write rate limit is
            # not what these tests are about (the client still honours a 429's Retry-After)
            HOMEWARD_API_WRITES_PER_MINUTE="100000",
            HOMEWARD_API_WRITE_BURST="10000",
            HOMEWARD_LOG_FORMAT="json",
            HOMEWARD_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        return env


@dataclass
class ServiceProcess:
    """`homeward <service> --port <free>` on a corner; its output goes to a log file. Replicas of
    one service (`replica="a"`, `"b"`) share its schema and consumer groups, each with a log, a
    port and settings of its own (`env`, e.g. its group instance id)."""

    service: str
    corner: Corner
    logs: Path
    replica: str = ""
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}-{self.replica}" if self.replica else self.service

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.logs / f"{self.corner.prefix}{self.name}.log"

    def start(self) -> None:
        assert not self.alive(), f"{self.name} is already running"
        self.starts += 1
        with self.log_file.open("ab") as out:
            out.write(f"--- start {self.starts} on port {self.port}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "homeward.cli", self.service, "--port", str(self.port)],
                env={**self.corner.env(self.service), **self.env},
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def ready(self, timeout: float = 60.0) -> None:
        """Wait until `/readyz` answers 200: migrated, topics made, database and broker answering."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise AssertionError(f"{self.name} exited at start-up:\n{self.tail()}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass  # not listening yet
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} was not ready within {timeout:.0f}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: a crash, no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, grace: float = 30.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"{self.name} did not stop within {grace:.0f}s of SIGTERM") from None

    def led_relay_at(self) -> list[float]:
        """When (epoch seconds) this process's outbox relay became its schema's leader, every start."""
        moments = []
        for line in self.log_file.read_text(errors="replace").splitlines():
            if '"outbox relay leads"' in line:
                with contextlib.suppress(ValueError, KeyError):
                    moments.append(datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp())
        return moments

    def redeliveries_ignored(self) -> int:
        """Events the inbox found already applied, over every start (from the service's log)."""
        count = 0
        for line in self.log_file.read_text(errors="replace").splitlines():
            if "redelivered event" not in line:
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                count += (
                    int(entry.get("count", 1)) if str(entry.get("event", "")).startswith("redelivered") else 0
                )
        return count

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


async def add_users(corner: Corner, users: dict[str, Role]) -> dict[str, str]:
    """Users in the corner's identity schema (what `homeward users add` does); their tokens by name."""
    await migrate_identity(corner.database_url, corner.identity_schema)
    pool = await create_pool(corner.database_url, corner.identity_schema, min_size=1, max_size=1)
    try:
        store = IdentityStore(pool, corner.identity_schema)
        return {
            name: (await store.add_user(name, role, programmes=every_programme()))[1]
            for name, role in users.items()
        }
    finally:
        await pool.close()
