"""A real single-node Apache Kafka broker (KRaft, combined broker+controller) on 127.0.0.1.

The jars come from Maven Central through `pom.xml` beside this file; nothing is downloaded any
other way. Jars go to the cache folder; data and logs to `kafka/` under the local folder.
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .processes import InfraError, kill_now, pid_is_alive, read_pid, require_tool, terminate

HERE = Path(__file__).parent
POM = HERE / "pom.xml"
MAIN_CLASS = "kafka.Kafka"


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    assert match, "pom.xml names no kafka.version"
    return match.group(1)


@dataclass(frozen=True)
class KafkaBroker:
    root: Path  # the local folder, e.g. <repo>/.local
    cache: Path  # where resolved jars are kept, shared by every local folder
    port: int = 19092
    controller_port: int = 19093
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

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
        if answers_metadata(self.bootstrap):
            # ours from an earlier `up`, or another checkout's on the same port: reuse either
            return time.monotonic() - began
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
        return time.monotonic() - began

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

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.home / "server.properties").write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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

    def _wait_ready(self, began: float, timeout: float) -> None:
        while time.monotonic() - began < timeout:
            if self.pid() is None:
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

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(probe())
    # called from inside an event loop (a test fixture): probe on a private loop in a thread
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, probe()).result()
