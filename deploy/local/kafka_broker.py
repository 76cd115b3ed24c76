"""A real single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1.

The jars come from Maven Central through `pom.xml` beside this file; nothing is downloaded any
other way. Jars go to the cache folder; data and logs to `kafka/` under the local folder.

Secured mode (`secured=True`; `HOMEWARD_LOCAL_KAFKA_SECURED=1` for `homeward infra up`) adds what
production enforces: a SASL_PLAINTEXT listener with SCRAM-SHA-512 for services and partners, and
KRaft's StandardAuthorizer that refuses whatever no ACL allows. The PLAINTEXT listener stays, on
127.0.0.1 only: it is the broker's own (inter-broker and controller traffic) and the operator's, and
its principal, User:ANONYMOUS, is a super user like User:admin — anyone who can reach the machine's
loopback could also read the data folder. Principals and ACLs come from `homeward kafka acl sync`.
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .processes import InfraError, kill_now, pid_is_alive, read_pid, require_tool, terminate

T = TypeVar("T")
HERE = Path(__file__).parent
POM = HERE / "pom.xml"
MAIN_CLASS = "kafka.Kafka"
ADMIN_USER = "admin"


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    if match is None:
        raise InfraError(f"{POM} names no <kafka.version>")
    return match.group(1)


@dataclass(frozen=True)
class KafkaBroker:
    root: Path  # the local folder, e.g. <repo>/.local
    cache: Path  # where resolved jars are kept, shared by every local folder
    port: int = 19092
    controller_port: int = 19093
    heap: str = "512m"
    secured: bool = False
    sasl_port: int = 19094
    # where partners on other machines would connect; loopback unless set (no TLS here: SCRAM keeps
    # the password off the wire, but not the messages)
    sasl_host: str = "127.0.0.1"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self) -> str:
        return f"{self.sasl_host}:{self.sasl_port}"

    @property
    def credentials_dir(self) -> Path:
        """`<user>.password` files (mode 0600): the admin's, and those `kafka acl sync` creates."""
        return self.home / "credentials"

    def admin_password(self) -> str:
        return (self.credentials_dir / f"{ADMIN_USER}.password").read_text().strip()

    @property
    def version(self) -> str:
        return kafka_version()

    @property
    def libs(self) -> Path:
        return self.cache / f"kafka-{self.version}" / "libs"

    @property
    def home(self) -> Path:
        return self.root / "kafka"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    # -- lifecycle ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if pid is not None and pid_is_alive(pid, MAIN_CLASS) else None

    def start(self, timeout: float = 60.0) -> float:
        """Start (or reuse) the broker; return the seconds until it answered a metadata request."""
        began = time.monotonic()
        if not answers_metadata(self.bootstrap):
            # else ours from an earlier `up`, or another checkout's on the same port: reuse either
            self._start_process(began, timeout)
        if self.secured:
            self._ensure_admin_login()
        return time.monotonic() - began

    def _start_process(self, began: float, timeout: float) -> None:
        java = require_tool(
            "java", "the local Kafka broker", "a Java 17+ runtime (Debian: openjdk-17-jre-headless)"
        )
        self._resolve_jars()
        self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage(java)
        if self.pid() is None:
            self._launch(java)
        self._wait_ready(began, timeout)

    def stop(self, timeout: float = 30.0) -> None:
        pid = read_pid(self.pid_file)
        if pid is not None:
            terminate(pid, MAIN_CLASS, timeout)
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        pid = read_pid(self.pid_file)
        if pid is not None:
            kill_now(pid, MAIN_CLASS)

    # -- steps -------------------------------------------------------------------------------

    def _resolve_jars(self) -> None:
        marker = self.libs / f"kafka_2.13-{self.version}.jar"
        if marker.exists():
            return
        mvn = require_tool(
            "mvn", "resolving the Kafka jars from Maven Central", "Apache Maven (Debian: maven)"
        )
        self.libs.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not marker.exists():
            tail = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
            raise InfraError(f"Maven could not resolve kafka_2.13 {self.version}: {tail[0]}")

    def _listener_lines(self) -> list[str]:
        plain = f"PLAINTEXT://127.0.0.1:{self.port}"
        controller = f"CONTROLLER://127.0.0.1:{self.controller_port}"
        if not self.secured:
            return [
                f"listeners={plain},{controller}",
                f"advertised.listeners={plain}",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            ]
        advertised = "127.0.0.1" if self.sasl_host in ("0.0.0.0", "") else self.sasl_host  # noqa: S104
        return [
            f"listeners={plain},SASL_PLAINTEXT://{self.sasl_host}:{self.sasl_port},{controller}",
            f"advertised.listeners={plain},SASL_PLAINTEXT://{advertised}:{self.sasl_port}",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
            "CONTROLLER:PLAINTEXT",
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found=false",
            # the broker and controller talk over the loopback PLAINTEXT listeners as ANONYMOUS
            f"super.users=User:ANONYMOUS;User:{ADMIN_USER}",
        ]

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "server.properties").write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    *self._listener_lines(),
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    # topics come from the registry in shared/topics.py, never from a typo
                    "auto.create.topics.enable=false",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # a single local node: no reason to wait for more members before a rebalance
                    "group.initial.rebalance.delay.ms=0",
                    "delete.topic.enable=true",
                    "",
                ]
            )
        )

    def _java_command(self, java: str, main: str, *args: str) -> list[str]:
        return [
            java,
            "-Xms256m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.home}",
            f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]

    def _format_storage(self, java: str) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            self._java_command(
                java,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                f"--config={self.home / 'server.properties'}",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InfraError(
                f"formatting Kafka storage failed: {result.stdout.strip()} {result.stderr.strip()}"
            )

    def _launch(self, java: str) -> None:
        with (self.home / "kafka.out").open("ab") as out:
            process = subprocess.Popen(
                self._java_command(java, MAIN_CLASS, str(self.home / "server.properties")),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives `homeward infra up`; `down` stops it
            )
        self.pid_file.write_text(str(process.pid))

    def _ensure_admin_login(self) -> None:
        """The admin's SCRAM login, with the password kept in `credentials/admin.password`: set at
        every secured start (the same password again changes nothing a client would notice), so a
        folder formatted before secured mode was turned on gets it too."""
        import secrets

        from deploy.kafka.admin import AccessAdmin, loopback
        from deploy.kafka.sync import write_password

        path = self.credentials_dir / f"{ADMIN_USER}.password"
        if not path.exists():
            write_password(self.credentials_dir, ADMIN_USER, secrets.token_urlsafe(24))
        password = self.admin_password()

        async def set_login() -> None:
            async with AccessAdmin(loopback(self.bootstrap)) as admin:
                await admin.set_password(ADMIN_USER, password)

        _run(set_login())

    def _wait_ready(self, began: float, timeout: float) -> None:
        while time.monotonic() - began < timeout:
            # no command-line marker here: the fresh child's pid cannot be stale, and until its exec
            # completes /proc still shows the Python that forked it (a busy machine made that a race)
            launched = read_pid(self.pid_file)
            if launched is None or not pid_is_alive(launched):
                raise InfraError(
                    f"the Kafka broker exited at start-up; see {self.log_file} and {self.home / 'kafka.out'}"
                )
            if answers_metadata(self.bootstrap):
                return
            time.sleep(0.2)
        raise InfraError(f"the Kafka broker did not answer within {timeout:.0f}s; see {self.log_file}")


def answers_metadata(bootstrap: str, timeout_ms: int = 2000) -> bool:
    """True when a broker at `bootstrap` answers a metadata request naming at least one broker."""
    import logging

    from aiokafka.client import AIOKafkaClient

    # a broker still starting refuses connections: expected here, not worth a log line each time
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    async def probe() -> bool:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, connections_max_idle_ms=timeout_ms * 2
        )
        try:
            await asyncio.wait_for(client.bootstrap(), timeout_ms / 1000)
            metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout_ms / 1000)
            return bool(metadata.brokers())
        except Exception:
            return False
        finally:
            await client.close()
            logging.getLogger("aiokafka").setLevel(logging.NOTSET)

    return _run(probe())


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # called from inside an event loop (a test fixture): run on a private loop in a thread
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
