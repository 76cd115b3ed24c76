"""Where a benchmark run happens: the broker and database (from the environment, or the local
infrastructure), and a corner of its own on them (a topic prefix and schema names) that it
removes when it ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from shared.settings import Settings

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "config"


@dataclass(frozen=True)
class Infra:
    kafka: str
    database_url: str
    source: str


@contextlib.contextmanager
def infrastructure(say: Any = print) -> Iterator[Infra]:
    """KAFKA_BOOTSTRAP_SERVERS + DATABASE_URL when both are set; otherwise the local launcher's
    broker and database (started if needed, and stopped again only if this run started them)."""
    kafka_env, database_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka_env and database_env:
        yield Infra(kafka_env, database_env, "environment")
        return
    from deploy.local import infra as local

    before = local.status()
    where = local.up(lambda line: say(f"infra: {line}"))
    try:
        yield Infra(where.kafka_bootstrap, where.database_url, "local launcher")
    finally:
        if before.get("kafka") != "running" and not where.kafka_external:
            local.kafka_broker().stop()
        if before.get("postgres") != "running" and not where.database_external:
            local.postgres_server().stop()


@dataclass
class BenchSpace:
    """One run's private names: every topic starts with `prefix`, every schema with `schema_prefix`."""

    infra: Infra
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _config_dirs: list[Path] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"bench{self.token}."

    @property
    def schema_prefix(self) -> str:
        return f"bench_{self.token}_"

    def schema(self, name: str) -> str:
        return f"{self.schema_prefix}{name}"

    def settings(self, schema: str, *, config_dir: Path | None = None, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": self.infra.kafka,
            "database_url": self.infra.database_url,
            "topic_prefix": self.prefix,
            "db_schema": self.schema(schema),
            "identity_schema": self.schema("identity"),
            "outbox_poll_interval_s": 1.0,
            "log_level": "WARNING",
            **overrides,
        }
        if config_dir is not None:
            values["config_dir"] = config_dir
        return Settings(**values)

    def env(self, schema: str, **extra: str) -> dict[str, str]:
        """Environment for a service subprocess of this run (its own schema, the run's topics)."""
        return {
            **os.environ,
            "HOMEWARD_KAFKA_BOOTSTRAP_SERVERS": self.infra.kafka,
            "HOMEWARD_DATABASE_URL": self.infra.database_url,
            "HOMEWARD_TOPIC_PREFIX": self.prefix,
            "HOMEWARD_DB_SCHEMA": self.schema(schema),
            # measured as they run in production: each service as a role that owns nothing
            "HOMEWARD_DB_RUNTIME_ROLE": "homeward_{service}",
            "HOMEWARD_IDENTITY_SCHEMA": self.schema("identity"),
            "HOMEWARD_LOG_LEVEL": "WARNING",
            "HOMEWARD_LOG_FORMAT": "json",
            **extra,
        }

    def config_dir(self, partners_yaml: str) -> Path:
        """A copy of deploy/config with the run's own partner directory."""
        folder = Path(tempfile.mkdtemp(prefix=f"homeward-bench-{self.token}-"))
        for name in ("municipalities.yaml", "donor-policies.yaml"):
            shutil.copy(DEFAULT_CONFIG / name, folder / name)
        (folder / "partners.yaml").write_text(partners_yaml, encoding="utf-8")
        self._config_dirs.append(folder)
        return folder

    async def cleanup(self) -> None:
        """Drop the run's schemas and delete its topics."""
        connection = await asyncpg.connect(self.infra.database_url)
        try:
            for row in await connection.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
                self.schema_prefix.replace("_", "\\_") + "%",
            ):
                await connection.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
        finally:
            await connection.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.infra.kafka)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if t.startswith(self.prefix)]
            if names:
                await admin.delete_topics(names)
        finally:
            await admin.close()
        for folder in self._config_dirs:
            shutil.rmtree(folder, ignore_errors=True)
