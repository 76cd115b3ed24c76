"""`homeward infra up | down | status`: the real broker and database for development and tests.

Kafka runs as one broker, or with `--brokers 3` as a three-node cluster (`kafka_cluster.py`). The
local folder remembers which (`kafka-brokers`), so a later `up`, `status`, `down` or `homeward run`
without the option means the same Kafka; `--brokers 1` goes back to the single broker.

With `KAFKA_BOOTSTRAP_SERVERS` (or `DATABASE_URL`) set, that part is external: nothing is started,
stopped or formatted for it (docker-compose and production run that way).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .kafka_broker import KafkaBroker
from .kafka_cluster import KafkaCluster
from .kafka_probe import answers_metadata
from .postgres_server import PostgresServer
from .processes import InfraError

Say = Callable[[str], None]
REPO_ROOT = Path(__file__).resolve().parents[2]


def local_dir() -> Path:
    return Path(os.environ.get("HOMEWARD_LOCAL_DIR", REPO_ROOT / ".local")).resolve()


def cache_dir() -> Path:
    return Path(os.environ.get("HOMEWARD_CACHE_DIR", REPO_ROOT / ".local" / "cache")).resolve()


def _kafka_ports() -> tuple[int, int, int]:
    """The broker's, its controller's and its SASL listener's ports: the controller and SASL ones
    one and two above the broker's unless set, so that moving `HOMEWARD_LOCAL_KAFKA_PORT` alone
    (a second checkout, a helper) moves them all and nothing collides with the first broker."""
    port = int(os.environ.get("HOMEWARD_LOCAL_KAFKA_PORT", "19092"))
    controller = int(os.environ.get("HOMEWARD_LOCAL_KAFKA_CONTROLLER_PORT", str(port + 1)))
    sasl = int(os.environ.get("HOMEWARD_LOCAL_KAFKA_SASL_PORT", str(port + 2)))
    return port, controller, sasl


def kafka_broker() -> KafkaBroker:
    """The local broker. `HOMEWARD_LOCAL_KAFKA_SECURED=1` starts it in secured mode (a SCRAM
    listener on `HOMEWARD_LOCAL_KAFKA_SASL_PORT`, ACLs enforced); the default stays open on
    loopback, which is what `make run` and the test suite use."""
    port, controller_port, sasl_port = _kafka_ports()
    return KafkaBroker(
        local_dir(),
        cache_dir(),
        port=port,
        controller_port=controller_port,
        secured=os.environ.get("HOMEWARD_LOCAL_KAFKA_SECURED", "") in {"1", "true", "yes"},
        sasl_port=sasl_port,
        sasl_host=os.environ.get("HOMEWARD_LOCAL_KAFKA_SASL_HOST", "127.0.0.1"),
    )


BROKER_COUNTS = (1, 3)


def kafka_cluster() -> KafkaCluster:
    """The local three-node cluster: node 1 on the single broker's ports, the next 100 and 200 up."""
    port, controller_port, _ = _kafka_ports()
    return KafkaCluster.on_ports(local_dir(), cache_dir(), port=port, controller_port=controller_port)


def _brokers_file() -> Path:
    return local_dir() / "kafka-brokers"


def kafka_brokers(requested: int | None = None) -> int:
    """How many Kafka nodes the local folder runs: as requested, else `HOMEWARD_LOCAL_KAFKA_BROKERS`,
    else what the last `up` used, else one."""
    count = requested or int(os.environ.get("HOMEWARD_LOCAL_KAFKA_BROKERS", "0") or 0)
    if not count and _brokers_file().exists():
        count = int(_brokers_file().read_text().strip() or 1)
    count = count or 1
    if count not in BROKER_COUNTS:
        raise InfraError(f"the local Kafka runs 1 broker or a cluster of 3, not {count}")
    return count


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


def endpoints(brokers: int | None = None) -> Endpoints:
    """Where the broker and database are (or will be after `up`), without starting anything."""
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database_env = os.environ.get("DATABASE_URL")
    local = kafka_cluster().bootstrap if kafka_brokers(brokers) > 1 else kafka_broker().bootstrap
    return Endpoints(
        kafka_bootstrap=kafka_env or local,
        database_url=database_env or postgres_server().dsn,
        kafka_external=bool(kafka_env),
        database_external=bool(database_env),
    )


def up(say: Say | None = None, brokers: int | None = None) -> Endpoints:
    say = say or (lambda line: None)
    count = kafka_brokers(brokers)
    where = endpoints(count)
    if where.database_external:
        say(f"postgres  external at {where.database_url} (DATABASE_URL): nothing started")
    else:
        server = postgres_server()
        seconds = server.start()
        say(f"postgres  ready at {server.dsn} in {seconds:.1f}s")
    if where.kafka_external:
        say(f"kafka     external at {where.kafka_bootstrap} (KAFKA_BOOTSTRAP_SERVERS): nothing started")
    elif count > 1:
        _up_cluster(say)
    else:
        if any(node.pid() is not None for node in kafka_cluster().nodes):
            raise InfraError(
                "the local Kafka cluster runs: `homeward infra down` first, then"
                " `homeward infra up --brokers 1`"
            )
        _record_brokers(1)
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


def _up_cluster(say: Say) -> None:
    if os.environ.get("HOMEWARD_LOCAL_KAFKA_SECURED", "") in {"1", "true", "yes"}:
        raise InfraError("secured mode runs the single broker only: drop --brokers 3 or the SECURED setting")
    single = kafka_broker()
    if single.pid() is not None:
        raise InfraError(
            f"the single local broker runs at {single.bootstrap}: `homeward infra down` first, then"
            " `homeward infra up --brokers 3`"
        )
    cluster = kafka_cluster()
    _record_brokers(len(cluster.ports))
    seconds = cluster.start()
    say(
        f"kafka     {cluster.version}, {len(cluster.ports)} nodes ready at {cluster.bootstrap}"
        f" in {seconds:.1f}s"
    )
    say(f"kafka     logs: {cluster.home}/node-*/server.log; replication 3, min.insync.replicas 2")


def _record_brokers(count: int) -> None:
    _brokers_file().parent.mkdir(parents=True, exist_ok=True)
    _brokers_file().write_text(f"{count}\n")


def down(say: Say | None = None) -> None:
    """Stops the local Kafka of either kind (the single broker and the cluster's nodes, whichever
    run) and PostgreSQL."""
    say = say or (lambda line: None)
    where = endpoints()
    if not where.kafka_external:
        cluster = kafka_cluster()
        if any(node.pid_file.exists() for node in cluster.nodes):
            cluster.stop()
            say(f"kafka     {len(cluster.ports)} nodes stopped")
        broker = kafka_broker()
        if broker.pid_file.exists() or kafka_brokers() == 1:
            broker.stop()
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
    elif kafka_brokers() > 1:
        for node_id, state in kafka_cluster().states().items():
            report[f"kafka-{node_id}"] = state
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
