"""`homeward infra up | down | status`: the real broker and database for development and tests.

With `KAFKA_BOOTSTRAP_SERVERS` (or `DATABASE_URL`) set, that part is external: nothing is started,
stopped or formatted for it (docker-compose and production run that way).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .kafka_broker import KafkaBroker, answers_metadata
from .postgres_server import PostgresServer

Say = Callable[[str], None]
REPO_ROOT = Path(__file__).resolve().parents[2]


def local_dir() -> Path:
    return Path(os.environ.get("HOMEWARD_LOCAL_DIR", REPO_ROOT / ".local")).resolve()


def cache_dir() -> Path:
    return Path(os.environ.get("HOMEWARD_CACHE_DIR", REPO_ROOT / ".local" / "cache")).resolve()


def kafka_broker() -> KafkaBroker:
    """The local broker. `HOMEWARD_LOCAL_KAFKA_SECURED=1` starts it in secured mode (a SCRAM
    listener on `HOMEWARD_LOCAL_KAFKA_SASL_PORT`, ACLs enforced); the default stays open on
    loopback, which is what `make run` and the test suite use."""
    return KafkaBroker(
        local_dir(),
        cache_dir(),
        port=int(os.environ.get("HOMEWARD_LOCAL_KAFKA_PORT", "19092")),
        controller_port=int(os.environ.get("HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT", "19093")),
        secured=os.environ.get("HOMEWARD_LOCAL_KAFKA_SECURED", "") in {"1", "true", "yes"},
        sasl_port=int(os.environ.get("HOMEWARD_LOCAL_KAFKA_SASL_PORT", "19094")),
        sasl_host=os.environ.get("HOMEWARD_LOCAL_KAFKA_SASL_HOST", "127.0.0.1"),
    )


def postgres_server() -> PostgresServer:
    return PostgresServer(local_dir(), port=int(os.environ.get("HOMEWARD_LOCAL_POSTGRES_PORT", "15432")))


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    database_url: str
    kafka_external: bool
    database_external: bool

    def as_env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap, "DATABASE_URL": self.database_url}


def endpoints() -> Endpoints:
    """Where the broker and database are (or will be after `up`), without starting anything."""
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database_env = os.environ.get("DATABASE_URL")
    return Endpoints(
        kafka_bootstrap=kafka_env or kafka_broker().bootstrap,
        database_url=database_env or postgres_server().dsn,
        kafka_external=bool(kafka_env),
        database_external=bool(database_env),
    )


def up(say: Say | None = None) -> Endpoints:
    say = say or (lambda line: None)
    where = endpoints()
    if where.database_external:
        say(f"postgres  external at {where.database_url} (DATABASE_URL): nothing started")
    else:
        server = postgres_server()
        seconds = server.start()
        say(f"postgres  ready at {server.dsn} in {seconds:.1f}s")
    if where.kafka_external:
        say(f"kafka     external at {where.kafka_bootstrap} (KAFKA_BOOTSTRAP_SERVERS): nothing started")
    else:
        broker = kafka_broker()
        seconds = broker.start()
        say(f"kafka     {broker.version} ready at {broker.bootstrap} in {seconds:.1f}s")
        say(f"kafka     log: {broker.log_file}")
        if broker.secured:
            say(
                f"kafka     secured: SCRAM-SHA-512 at {broker.sasl_bootstrap}, ACLs enforced;"
                f" admin password in {broker.credentials_dir}; next: homeward kafka acl sync"
            )
    return where


def down(say: Say | None = None) -> None:
    say = say or (lambda line: None)
    where = endpoints()
    if not where.kafka_external:
        kafka_broker().stop()
        say("kafka     stopped")
    if not where.database_external:
        postgres_server().stop()
        say("postgres  stopped")


def status() -> dict[str, str]:
    """One word per part: running, dead (a process but no answer, or a pid file and no process),
    stopped, or external."""
    where = endpoints()
    report: dict[str, str] = {}
    if where.kafka_external:
        report["kafka"] = "external"
    else:
        broker = kafka_broker()
        if broker.pid() is None:
            report["kafka"] = "dead" if broker.pid_file.exists() else "stopped"
        else:
            report["kafka"] = "running" if answers_metadata(broker.bootstrap) else "dead"
    if where.database_external:
        report["postgres"] = "external"
    else:
        report["postgres"] = "running" if postgres_server().running() else "stopped"
    return report
