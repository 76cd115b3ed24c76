"""The fault tests' own infrastructure: a PRIVATE PostgreSQL and Kafka broker, started once for
the package in a temporary folder on free ports, and a private three-node Kafka cluster for the
tests that need one (started only then). The tests stop, restart and SIGKILL things; the shared
broker (19092) and database (15432) other tests and helpers use are never touched.

`HOMEWARD_SOAK=1` (`make soak`) multiplies the events per test by 5 and runs several rounds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
import yaml

from deploy.local.postgres_server import PostgresServer
from tests.support import free_port

from .infra import PrivateCluster, PrivateInfra
from .processes import Corner, ServiceProcess

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "config"
SOAK = os.environ.get("HOMEWARD_SOAK", "") not in ("", "0")
# places are not what these tests are about: every partner takes every referral it is eligible for
CAPACITY = 100_000


def scaled(short: int) -> int:
    """A test's size: the short version in `make test`, five times that in `make soak`."""
    return short * 5 if SOAK else short


ROUNDS = 3 if SOAK else 1


class MakeService(Protocol):
    def __call__(
        self, service: str, replica: str = "", env: dict[str, str] | None = None
    ) -> ServiceProcess: ...


@pytest.fixture(scope="package")
def private_postgres() -> Iterator[PostgresServer]:
    # A folder of its own rather than pytest's: PostgreSQL runs as an unprivileged user that must
    # walk down to it, and another pytest session starting meanwhile would close pytest's folder
    # to everyone but root again.
    root = Path(tempfile.mkdtemp(prefix="homeward-faults-postgres-"))
    server = PostgresServer(root, port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="package")
def private_infra(
    tmp_path_factory: pytest.TempPathFactory, private_postgres: PostgresServer
) -> Iterator[PrivateInfra]:
    infra = PrivateInfra.in_folder(tmp_path_factory.mktemp("faults-infra"), private_postgres)
    try:
        infra.start()
        yield infra
    finally:
        infra.stop()  # the folder stays, with the broker's log


@pytest.fixture(scope="package")
def private_cluster(
    tmp_path_factory: pytest.TempPathFactory, private_postgres: PostgresServer
) -> Iterator[PrivateCluster]:
    infra = PrivateCluster.in_folder(tmp_path_factory.mktemp("faults-cluster"), private_postgres)
    try:
        infra.cluster.start()
        yield infra
    finally:
        infra.stop()  # the folder stays, with every node's log


@pytest.fixture(scope="package")
def fault_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/config, with every partner's capacity raised so that routing never runs out of places."""
    folder = tmp_path_factory.mktemp("faults-config")
    for path in CONFIG.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    partners = yaml.safe_load((CONFIG / "partners.yaml").read_text(encoding="utf-8"))
    for partner in partners["partners"]:
        for service in partner["categories"].values():
            service["capacity"] = CAPACITY
    (folder / "partners.yaml").write_text(yaml.safe_dump(partners, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture
def corner(private_infra: PrivateInfra, fault_config: Path) -> Corner:
    token = uuid.uuid4().hex[:10]
    return Corner(
        private_infra.bootstrap, private_infra.database_url, f"f{token}.", f"f_{token}", fault_config
    )


@pytest.fixture
def services(
    corner: Corner, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MakeService]:
    """`services("referral")` → a ServiceProcess on this test's corner (not started);
    `services("referral", "a", {...})` a replica with settings of its own. Every one is stopped when
    the test ends; a failed test prints the end of each one's log."""
    logs = tmp_path_factory.mktemp("faults-logs")
    made: list[ServiceProcess] = []

    def make(service: str, replica: str = "", env: dict[str, str] | None = None) -> ServiceProcess:
        made.append(ServiceProcess(service, corner, logs, replica, env or {}))
        return made[-1]

    yield make
    for process in made:
        with contextlib.suppress(Exception):
            process.stop()
    if getattr(request.node, "failed", False):
        for process in made:
            print(f"\n--- {process.name} log ({process.log_file}):\n{process.tail(60)}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True  # type: ignore[attr-defined]
    return report


@pytest.fixture
def say(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """A line straight to the terminal (past capturing): what each fault's accounting saw."""

    def line(text: str) -> None:
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            if reporter._tw.width_of_current_line:  # after a progress dot
                reporter.write_line("")
            reporter.write_line(f"faults: {text}")

    return line
