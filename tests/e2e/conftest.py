"""The whole system as a user runs it: intake, referral and grants as real processes
(`python -m homeward.cli <service> --port P`), on the session's broker and database, in a corner of
their own (a topic prefix, a schema per service, one identity schema shared by the four).

One system per test module. Tests reach it only through HTTP and Kafka; users are made with the
`homeward users add` command, as an operator would. At the end each service gets SIGTERM and must
exit 0 within the deadline: a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests import conftest as shared_fixtures
from tests.support import eventually, free_port

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "referral", "grants", "reporting")
READY_TIMEOUT_S = 60.0
STOP_DEADLINE_S = 20.0


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])


@dataclass
class System:
    """The running system and how to reach it."""

    token: str
    env: dict[str, str]
    services: dict[str, Service]
    kafka_bootstrap: str
    topic_prefix: str
    tokens: dict[str, str] = field(default_factory=dict)  # user name → bearer token

    def url(self, service: str) -> str:
        return self.services[service].url

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def add_user(self, name: str, role: str) -> str:
        """`homeward users add NAME --role ROLE --all-programmes --password-stdin --token`, as an
        operator runs it (an admin names no programme: they see all): the user signs in on the pages
        with PASSWORD and calls the APIs with the token, which is returned."""
        scope = [] if role == "admin" else ["--all-programmes"]
        command = [sys.executable, "-m", "homeward.cli", "users", "add", name, "--role", role]
        done = subprocess.run(
            [*command, *scope, "--password-stdin", "--token"],
            env=self.env,
            cwd=REPO,
            input=(PASSWORD + "\n").encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        token = done.stdout.decode().strip().splitlines()[-1]
        assert token.startswith("hw_"), done.stdout.decode()
        self.tokens[name] = token
        return token


PASSWORD = "the end to end test's own pass phrase"


def system_env(kafka_bootstrap: str, database_url: str, token: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWARD_")}
    return {
        **inherited,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "HOMEWARD_TOPIC_PREFIX": f"e{token}.",
        "HOMEWARD_DB_RUNTIME_ROLE": "homeward_{service}",
        "HOMEWARD_IDENTITY_SCHEMA": f"e_{token}_identity",
        "HOMEWARD_OUTBOX_POLL_INTERVAL_S": "0.5",
        "HOMEWARD_LOG_FORMAT": "json",
        "HOMEWARD_LEDGER_SIGNING_KEY_FILE": os.environ["HOMEWARD_LEDGER_SIGNING_KEY_FILE"],
        "PYTHONUNBUFFERED": "1",
    }


def start_service(name: str, env: dict[str, str], token: str, logs: Path) -> Service:
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "homeward.cli", name, "--port", str(port)],
            env={**env, "HOMEWARD_DB_SCHEMA": f"e_{token}_{name}"},
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Service(name, port, process, log)


async def wait_ready(service: Service) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:

        async def ready() -> bool:
            if service.process.poll() is not None:
                raise AssertionError(
                    f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}"
                )
            try:
                return (await client.get(f"{service.url}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout=READY_TIMEOUT_S, interval=0.2, what=f"{service.name} to be ready")


def stop_cleanly(services: list[Service]) -> dict[str, int | None]:
    """SIGTERM to each; the exit code of each, or None for one that had to be killed."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    deadline = time.monotonic() + STOP_DEADLINE_S
    for service in services:
        try:
            codes[service.name] = service.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()
            codes[service.name] = None
    return codes


async def drop_schemas(database_url: str, token: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for row in await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"e\\_{token}\\_%"
        ):
            await connection.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def system(
    kafka_bootstrap: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> AsyncIterator[System]:
    token = uuid.uuid4().hex[:10]
    # a test module may set settings of its own (e.g. a shorter period for a periodic job)
    env = system_env(kafka_bootstrap, database_url, token) | getattr(request.module, "SYSTEM_ENV", {})
    shared_fixtures._created_prefixes.append(env["HOMEWARD_TOPIC_PREFIX"])  # deleted at session end
    logs = tmp_path_factory.mktemp(f"e2e-{token}")
    services = [start_service(name, env, token, logs) for name in SERVICES]
    try:
        await asyncio.gather(*(wait_ready(s) for s in services))
        yield System(
            token,
            env,
            {s.name: s for s in services},
            kafka_bootstrap,
            env["HOMEWARD_TOPIC_PREFIX"],
        )
        codes = await asyncio.to_thread(stop_cleanly, services)
        unclean = {name: code for name, code in codes.items() if code != 0}
        tails = "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in services if s.name in unclean)
        assert not unclean, f"not a clean stop (None: killed after {STOP_DEADLINE_S}s): {unclean}\n{tails}"
    finally:
        await asyncio.to_thread(stop_cleanly, services)
        await drop_schemas(database_url, token)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report carries the last lines each service logged."""
    outcome = yield
    report = outcome.get_result()
    system = getattr(item, "funcargs", {}).get("system")
    if report.when == "call" and report.failed and isinstance(system, System):
        for service in system.services.values():
            report.sections.append((f"{service.name} log (last lines)", service.log_tail(60)))
