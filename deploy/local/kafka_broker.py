"""A real Apache Kafka node (KRaft, combined broker+controller) on 127.0.0.1: the single local
broker, or one node of the local cluster (`kafka_cluster.py`), which starts three of these with one
quorum and one cluster id.

The jars come from Maven Central through `pom.xml` beside this file; nothing is downloaded any
other way. Jars go to the cache folder; data and logs to `kafka/` under the local folder (a
cluster's nodes: `kafka-cluster/node-<id>/`).

Secured mode (`secured=True`; `HOMEWARD_LOCAL_KAFKA_SECURED=1` for `homeward infra up`) adds what
production enforces: a SASL_PLAINTEXT listener with SCRAM-SHA-512 for services and partners, and
KRaft's StandardAuthorizer that refuses whatever no ACL allows. The PLAINTEXT listener stays, on
127.0.0.1 only: it is the broker's own (inter-broker and controller traffic) and the operator's, and
its principal, User:ANONYMOUS, is a super user like User:admin — anyone who can reach the machine's
loopback could also read the data folder. Principals and ACLs come from `homeward kafka acl sync`.
"""

from __future__ import annotations

import base64
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .kafka_config import ADMIN_USER, Quorum, server_properties
from .kafka_probe import answers_metadata, run_blocking
from .processes import InfraError, kill_now, pid_is_alive, read_pid, require_tool, terminate

HERE = Path(__file__).parent
POM = HERE / "pom.xml"
MAIN_CLASS = "kafka.Kafka"
JAVA_HINT = "a Java 17+ runtime (Debian: openjdk-17-jre-headless)"

__all__ = ["ADMIN_USER", "KafkaBroker", "answers_metadata", "new_cluster_id"]


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what
    `kafka-storage.sh random-uuid` prints)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


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
    heap_min: str = "256m"
    secured: bool = False
    sasl_port: int = 19094
    # where partners on other machines would connect; loopback unless set (no TLS here: SCRAM keeps
    # the password off the wire, but not the messages)
    sasl_host: str = "127.0.0.1"
    # one node of a cluster: its id, every node's controller, and its folder under `root`
    node_id: int = 1
    quorum: Quorum | None = None  # None: a quorum of this node alone
    folder: str = "kafka"

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
        return self.root / self.folder

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

    def start(self, timeout: float = 180.0) -> float:
        """Start (or reuse) the broker; return the seconds until it answered a metadata request.
        The wait is long because a broker stopped uncleanly recovers every partition's log first
        (two minutes with a few thousand partitions on a loaded two-core machine)."""
        began = time.monotonic()
        if not answers_metadata(self.bootstrap):
            # else ours from an earlier `up`, or another checkout's on the same port: reuse either
            self._start_process(began, timeout)
        if self.secured:
            self._ensure_admin_login()
        return time.monotonic() - began

    def _start_process(self, began: float, timeout: float) -> None:
        java = require_tool("java", "the local Kafka broker", JAVA_HINT)
        self.prepare(java, new_cluster_id())
        if self.pid() is None:
            self.launch(java)
        self.wait_answering(began, timeout)

    def prepare(self, java: str, cluster_id: str) -> None:
        """Jars resolved, configuration written, storage formatted with `cluster_id` unless it was
        formatted before (then it keeps the id it has: its data belongs to that cluster)."""
        self._resolve_jars()
        self._write_config()
        if not self.formatted():
            self._format_storage(java, cluster_id)

    def formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()

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

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            server_properties(
                node_id=self.node_id,
                port=self.port,
                controller_port=self.controller_port,
                quorum=self.quorum or Quorum(((self.node_id, self.controller_port),)),
                data_dir=self.data_dir,
                secured=self.secured,
                sasl_host=self.sasl_host,
                sasl_port=self.sasl_port,
            )
        )

    def _java_command(self, java: str, main: str, *args: str) -> list[str]:
        return [
            java,
            f"-Xms{self.heap_min}",
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

    def _format_storage(self, java: str, cluster_id: str) -> None:
        result = subprocess.run(
            self._java_command(
                java,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                f"--config={self.config_file}",
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InfraError(
                f"formatting Kafka storage failed: {result.stdout.strip()} {result.stderr.strip()}"
            )

    def launch(self, java: str) -> None:
        """Start the node's process, in a session of its own (it outlives `homeward infra up`)."""
        with (self.home / "kafka.out").open("ab") as out:
            process = subprocess.Popen(
                self._java_command(java, MAIN_CLASS, str(self.config_file)),
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

        run_blocking(set_login())

    def exited(self) -> bool:
        """True when the process this node launched last has exited."""
        # no command-line marker here: the fresh child's pid cannot be stale, and until its exec
        # completes /proc still shows the Python that forked it (a busy machine made that a race)
        launched = read_pid(self.pid_file)
        return launched is None or not pid_is_alive(launched)

    def wait_answering(self, began: float, timeout: float) -> None:
        while time.monotonic() - began < timeout:
            if self.exited():
                raise InfraError(
                    f"the Kafka broker exited at start-up; see {self.log_file} and {self.home / 'kafka.out'}"
                )
            if answers_metadata(self.bootstrap):
                return
            time.sleep(0.2)
        raise InfraError(f"the Kafka broker did not answer within {timeout:.0f}s; see {self.log_file}")
