"""Services under load run as they do in production: each its own process (`homeward <service>`),
on the run's topics and schemas, logging JSON at INFO to a file. The bench process only sends
requests and watches topics."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from homeward.users import programme_ids
from shared.db import create_pool
from shared.identity.model import Role
from shared.identity.store import IdentityStore, migrate_identity
from shared.settings import Settings

from .env import BenchSpace

# The services' write rate limit (shared.api_security) guards against a stolen token; a benchmark
# sends far more from one token than a caseworker could, so it lifts the limit (the middleware runs).
UNLIMITED_WRITES = {"HOMEWARD_API_WRITES_PER_MINUTE": "100000000", "HOMEWARD_API_WRITE_BURST": "1000000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)


class Services:
    """`async with Services(space, ...) as running:` starts each service, waits for /readyz, and
    stops them all (SIGTERM, the clean stop) at the end."""

    def __init__(self, space: BenchSpace, wanted: dict[str, dict[str, str]], log_dir: Path) -> None:
        self.space = space
        self.wanted = wanted  # service name → extra environment
        self.log_dir = log_dir
        self.running: dict[str, RunningService] = {}

    async def __aenter__(self) -> dict[str, RunningService]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for name, extra in self.wanted.items():
                self.running[name] = self._start(name, extra)
            for service in self.running.values():
                await _ready(service)
        except BaseException:
            self._stop()
            raise
        return self.running

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def _start(self, name: str, extra: dict[str, str]) -> RunningService:
        port = free_port()
        log = self.log_dir / f"{name}-{self.space.token}-{port}.log"
        env = self.space.env(name, **UNLIMITED_WRITES, **extra)
        env["HOMEWARD_LOG_LEVEL"] = "INFO"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "homeward.cli", name, "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parents[1],
            )
        return RunningService(name, port, process, log)

    def _stop(self) -> None:
        for service in reversed(list(self.running.values())):
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.running.values():
            try:
                service.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()


async def _ready(service: RunningService, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=service.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited ({service.process.returncode}); see {service.log}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{service.name} not ready within {timeout:.0f}s; see {service.log}")


async def caseworker_token(space: BenchSpace) -> str:
    """A caseworker's bearer token in the run's identity schema."""
    schema = space.schema("identity")
    await migrate_identity(space.infra.database_url, schema)
    pool = await create_pool(space.infra.database_url, schema, min_size=1, max_size=1)
    try:
        name = f"bench-{space.token}-{uuid.uuid4().hex[:6]}"
        programmes = programme_ids(Settings().config_dir)  # a user of no programme sees nothing
        _, token = await IdentityStore(pool, schema).add_user(name, Role.CASEWORKER, programmes=programmes)
    finally:
        await pool.close()
    return token
