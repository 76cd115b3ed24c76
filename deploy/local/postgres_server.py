"""A real PostgreSQL 16 server from the `pgserver` wheel's binaries, on 127.0.0.1.

We drive `initdb` and `pg_ctl` ourselves (rather than pgserver's handle-counting wrapper) so the
server listens on TCP like any other PostgreSQL, and so fault tests can stop and restart it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .processes import InfraError

DATABASE = "homeward"
# postgres refuses to run as root; the pgserver wheel uses the same unprivileged user name
SYSTEM_USER = "pgserver"


def _bin_dir() -> Path:
    try:
        with (
            warnings.catch_warnings()
        ):  # pgserver's import warns about XDG_RUNTIME_DIR; we use no runtime dir
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError as error:  # pragma: no cover - the dependency is in pyproject
        raise InfraError("the 'pgserver' package is missing: run 'make venv' (pip install -e .)") from error
    return Path(POSTGRES_BIN_PATH)


@dataclass(frozen=True)
class PostgresServer:
    root: Path  # the local folder, e.g. <repo>/.local
    port: int = 15432

    @property
    def home(self) -> Path:
        return self.root / "postgres"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(
        self, tool: str, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        # initdb and pg_ctl refuse to run as root; the clients do not care
        user = SYSTEM_USER if os.geteuid() == 0 and tool in {"initdb", "pg_ctl"} else None
        result = subprocess.run(
            [str(_bin_dir() / tool), *args],
            capture_output=True,
            text=True,
            check=False,
            user=user,
            timeout=timeout,
            cwd="/",
        )
        if check and result.returncode != 0:
            raise InfraError(f"{tool} failed: {(result.stderr or result.stdout).strip().splitlines()[-1:]}")
        return result

    def running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        self._prepare_dirs()  # the folder may have been copied or its parents re-permissioned
        return self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def start(self) -> float:
        began = time.monotonic()
        if not self.running() and not self._port_answers():
            self._prepare_dirs()
            if not (self.data_dir / "PG_VERSION").exists():
                self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
                          "--encoding=UTF8", "--no-instructions")  # fmt: skip
            options = f"-h 127.0.0.1 -p {self.port} -k {self.home} -c max_connections=300"
            self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
                      "-o", options, "start")  # fmt: skip
        self._ensure_database()
        return time.monotonic() - began

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def _port_answers(self) -> bool:
        """Another checkout's server on our port is reused rather than fought over."""
        ready = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2", check=False)
        return ready.returncode == 0

    def _prepare_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        import pwd

        try:
            entry = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True
            )
            entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(self.home, entry.pw_uid, entry.pw_gid)
        # the unprivileged user must be able to walk down to its folder (mktemp -d is 0700)
        for folder in [*reversed(self.home.parents), *_bin_dir().parents]:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)

    def _ensure_database(self) -> None:
        connect = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc"]
        exists = self._run("psql", *connect, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists.stdout.strip() != "1":
            self._run("psql", *connect, f"CREATE DATABASE {DATABASE}")
