"""Session-wide real infrastructure, shared by every integration test.

Where the broker and database come from, in order:
1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment;
2. testcontainers, when a Docker engine answers;
3. the project's local launcher (`homeward infra up`): a real Kafka from Maven Central's jars and
   a real PostgreSQL from the pgserver wheel. Parts the session started, it stops at the end.

Tests isolate themselves: each gets its own schema and topic prefix (the `isolated` fixture).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.logging import configure_logging
from shared.settings import Settings
from shared.tracing import install_provider

# Property tests check what is generated, not how fast: on a loaded machine (CI, two cores shared
# with a broker and a database) drawing an example can take longer than Hypothesis's health check
# allows, which says nothing about the code under test.
settings.register_profile("homeward", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("homeward")

# Log lines go to stderr as in a service (structlog's default is stdout, where tests read what a
# command printed).
configure_logging("tests", "INFO", "console")

# Every span made in the test process, for the tests that follow a trace (`spans` fixture).
SPANS = InMemorySpanExporter()
install_provider("tests", SimpleSpanProcessor(SPANS))


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return SPANS


LEDGER_KEY_SETTING = "HOMEWARD_LEDGER_SIGNING_KEY_FILE"


@pytest.fixture(scope="session", autouse=True)
def ledger_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's own Ed25519 key for grants' ledger checkpoints (grants does not start
    without one), in the environment every grants app and process of the session inherits."""
    from services.grants.core.ledger.checkpoint import new_key_pair

    private, public = new_key_pair()
    folder = tmp_path_factory.mktemp("ledger-key")
    (folder / "grants-ledger.pem").write_bytes(private)
    (folder / "grants-ledger.pem.pub").write_bytes(public)
    before = os.environ.get(LEDGER_KEY_SETTING)
    os.environ[LEDGER_KEY_SETTING] = str(folder / "grants-ledger.pem")
    yield folder / "grants-ledger.pem"
    if before is None:
        os.environ.pop(LEDGER_KEY_SETTING, None)
    else:
        os.environ[LEDGER_KEY_SETTING] = before


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    database_url: str
    source: str


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


def _say(config: pytest.Config, line: str) -> None:
    """Straight to the terminal, past output capturing: the run's log names what it ran against."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(line)


@pytest.fixture(scope="session")
def infra(request: pytest.FixtureRequest) -> Iterator[Infra]:
    kafka_env, database_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka_env and database_env:
        _say(request.config, f"infra: from the environment: kafka {kafka_env}, postgres {database_env}")
        yield Infra(kafka_env, database_env, "environment")
        return
    if not (kafka_env or database_env) and _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
            PostgresContainer("postgres:16") as pg,
        ):
            url = pg.get_connection_url(driver=None)
            _say(request.config, f"infra: testcontainers: kafka apache/kafka:4.1.1, {url}")
            yield Infra(kafka.get_bootstrap_server(), url, "testcontainers")
        return

    from deploy.local import infra as local

    before = local.status()
    where = local.up(lambda line: _say(request.config, f"infra: {line}"))
    try:
        yield Infra(where.kafka_bootstrap, where.database_url, "local launcher")
    finally:
        _delete_test_topics(where.kafka_bootstrap)
        # leave running what was running before the session (e.g. a developer's `make run`)
        if before.get("kafka") != "running" and not where.kafka_external:
            local.kafka_broker().stop()
        if before.get("postgres") != "running" and not where.database_external:
            local.postgres_server().stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infra) -> str:
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
def database_url(infra: Infra) -> str:
    return infra.database_url


@dataclass(frozen=True)
class Isolated:
    """One test's private corner of the shared broker and database."""

    settings: Settings
    schema: str
    topic_prefix: str

    def with_schema(self, suffix: str) -> Settings:
        """Settings for a second service in the same test, in a schema of its own."""
        return self.settings.model_copy(update={"db_schema": f"{self.schema}_{suffix}"})


_created_prefixes: list[str] = []


def new_isolation(kafka_bootstrap: str, database_url: str, **settings: object) -> Isolated:
    """A fresh schema and topic prefix (for a test, or a module-scoped service under test); its
    topics are deleted when the session ends, its schemas by `release_isolation`."""
    token = uuid.uuid4().hex[:10]
    schema, prefix = f"t_{token}", f"t{token}."
    _created_prefixes.append(prefix)
    options: dict[str, object] = {
        # every service under test runs as a role of its own that owns nothing (shared/db_roles.py)
        "db_runtime_role": "homeward_{service}",
        "outbox_poll_interval_s": 0.2,
        "consumer_backoff_initial_s": 0.05,
        "consumer_backoff_max_s": 0.5,
        # argon2id at its cheapest: the tests check what a password does, not what it costs
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 64,
        "password_hash_parallelism": 1,
        **settings,
    }
    return Isolated(
        Settings(
            kafka_bootstrap_servers=kafka_bootstrap,
            database_url=database_url,
            topic_prefix=prefix,
            db_schema=schema,
            identity_schema=f"{schema}_identity",
            **options,  # type: ignore[arg-type]
        ),
        schema,
        prefix,
    )


async def release_isolation(isolation: Isolated) -> None:
    """Drop the schemas the isolation made (its own, and every `<schema>_*` beside it)."""
    import asyncpg

    connection = await asyncpg.connect(isolation.settings.database_url)
    try:
        for row in await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2",
            isolation.schema,
            f"{isolation.schema}\\_%",
        ):
            await connection.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture
async def isolated(kafka_bootstrap: str, database_url: str) -> AsyncIterator[Isolated]:
    isolation = new_isolation(kafka_bootstrap, database_url, outbox_poll_interval_s=0.5)
    yield isolation
    await release_isolation(isolation)


def _delete_test_topics(bootstrap: str) -> None:
    """Topics made under a test prefix go when the session ends, so a long-lived local broker
    does not pile them up. Runs on a private loop: the session loop may already be closed."""
    if not _created_prefixes:
        return
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from aiokafka.admin import AIOKafkaAdminClient

    async def delete() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if t.startswith(tuple(_created_prefixes))]
            if names:
                await admin.delete_topics(names)
        finally:
            await admin.close()

    with ThreadPoolExecutor(max_workers=1) as pool, contextlib.suppress(Exception):
        pool.submit(asyncio.run, delete()).result(timeout=60)
