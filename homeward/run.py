"""`homeward run`: the whole system on this machine, as one supervised process tree.

The infrastructure comes up first (or is reused), then each service in a child process of its own.
Each part prints one readiness line; the services' own log lines go to a file per service
(`.local/logs/<service>.log`, one JSON object a line), or rendered to the terminal with
`--logs terminal`. Ctrl-C (or SIGTERM) stops the services in reverse order with
SIGTERM — each finishes its current outbox batch and commits its consumer offsets — and kills
nothing that did not stop within the grace period. A service that dies is restarted with backoff.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.local import infra
from deploy.local.processes import InfraError


@dataclass(frozen=True)
class Part:
    name: str
    port: int
    urls: tuple[tuple[str, str], ...]

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


PARTS = (
    Part("intake", 8001, (("caseworker page", "/"), ("API docs", "/docs"))),
    Part("referral", 8002, (("partner portal", "/portal"), ("API docs", "/docs"))),
    Part("grants", 8003, (("finance API docs", "/docs"),)),
    Part("reporting", 8004, (("programme reports", "/reports"), ("API docs", "/docs"))),
)
GRACE_SECONDS = 20.0
READY_TIMEOUT = 90.0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("run", help="bring up the infrastructure and every service, supervised")
    parser.add_argument("--only", nargs="*", choices=[p.name for p in PARTS], help="run only these services")
    parser.add_argument(
        "--logs",
        choices=("files", "terminal"),
        default="files",
        help="where the services log: a file each under .local/logs (default), or this terminal",
    )
    parser.set_defaults(handler=run)


def available_parts(only: list[str] | None = None) -> list[Part]:
    parts = []
    for part in PARTS:
        try:
            found = importlib.util.find_spec(f"services.{part.name}.cli") is not None
        except ModuleNotFoundError:
            found = False
        if found and (not only or part.name in only):
            parts.append(part)
    return parts


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor itself is killed, so nothing is orphaned."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    part: Part
    env: dict[str, str]
    log_file: Path | None = None  # None: the child logs to this terminal
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        output = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            output = self.log_file.open("ab")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "homeward.cli", self.part.name, "--port", str(self.part.port)],
                env=self.env,
                stdout=output,
                stderr=output,
                start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops children in order
                preexec_fn=_die_with_parent,
            )
        finally:
            if output is not None:
                output.close()  # the child holds its own descriptor

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the child's log file, to show why it stopped."""
        if self.log_file is None or not self.log_file.exists():
            return ""
        with self.log_file.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 64 * 1024))
            tail = log.read().decode(errors="replace").splitlines()[-lines:]
        return "\n".join(f"          {line}" for line in tail)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"{self.part.name:9} did not stop within {GRACE_SECONDS:.0f}s: killed")
            self.process.kill()
            self.process.wait()


def _ready(part: Part) -> bool:
    try:
        with urllib.request.urlopen(part.url("/readyz"), timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except OSError:
        return False


def wait_ready(child: Child) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not child.alive():
            return False
        if _ready(child.part):
            return True
        time.sleep(0.2)
    return False


def seed_admin(env: dict[str, str]) -> None:
    """Create the first admin and print its token once; later runs only say it exists."""
    from datetime import UTC, datetime, timedelta

    from shared.db import create_pool
    from shared.identity.model import Role
    from shared.identity.store import IdentityStore, migrate_identity
    from shared.settings import Settings

    async def seed() -> str | None:
        settings = Settings(database_url=env["DATABASE_URL"])
        await migrate_identity(settings.database_url, settings.identity_schema)
        pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=1)
        try:
            store = IdentityStore(pool, settings.identity_schema)
            if await pool.fetchval(f"SELECT count(*) FROM {store.table} WHERE role = 'admin'"):
                return None
            expires = datetime.now(UTC) + timedelta(days=settings.api_token_days)
            _, token = await store.add_user("admin", Role.ADMIN, expires, via="cli:make-run")
            return token
        finally:
            await pool.close()

    token = asyncio.run(seed())
    if token:
        print(f"admin     token (shown once, keep it; `homeward users token admin` makes another): {token}")
    else:
        print(
            "admin     exists already (its token was shown when it was made; `homeward users token admin`"
            " issues another)"
        )


LEDGER_KEY_SETTING = "HOMEWARD_LEDGER_SIGNING_KEY_FILE"


def dev_ledger_key(env: dict[str, str]) -> None:
    """Grants signs ledger checkpoints and does not start without a key: unless one is set, use
    (or make, the first time) a development key pair under the local folder, never in the database."""
    if env.get(LEDGER_KEY_SETTING):
        print(f"ledger    signing key {env[LEDGER_KEY_SETTING]} (from {LEDGER_KEY_SETTING})")
        return
    from services.grants.core.ledger.checkpoint import key_id_of, signer_from_pem
    from services.grants.ledger_cli import write_new_key_pair

    private_path = infra.local_dir() / "ledger" / "signing-key.pem"
    if not private_path.exists():
        write_new_key_pair(private_path)
    key_id = key_id_of(signer_from_pem(private_path.read_bytes()).public_key)
    env[LEDGER_KEY_SETTING] = str(private_path)
    print(f"ledger    dev signing key {key_id}: {private_path} (public key beside it, .pub)")


def run(args: argparse.Namespace) -> int:
    try:
        where = infra.up(print)
    except InfraError as error:
        print(f"homeward run: {error}", file=sys.stderr)
        return 2
    # each service runs as a database role of its own that owns nothing (shared/db_roles.py); the
    # local server trusts local logins, so the role needs no password
    env = {"HOMEWARD_DB_RUNTIME_ROLE": "homeward_{service}", **os.environ, **where.as_env()}
    seed_admin(env)
    if any(part.name == "grants" for part in available_parts(args.only)):
        dev_ledger_key(env)
    parts = available_parts(args.only)
    if not parts:
        print("no service is installed yet: the infrastructure is up; Ctrl-C to leave")

    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    logs = infra.local_dir() / "logs"
    if args.logs == "files":
        env["HOMEWARD_LOG_FORMAT"] = "json"
        print(f"logs      {logs}/<service>.log (homeward run --logs terminal shows them here)")
    else:
        env["HOMEWARD_LOG_FORMAT"] = "console"
    children = [
        Child(part, env, logs / f"{part.name}.log" if args.logs == "files" else None) for part in parts
    ]
    try:
        for child in children:
            if stopping:
                break
            child.start()
            if wait_ready(child):
                urls = ", ".join(f"{label} {child.part.url(path)}" for label, path in child.part.urls)
                print(f"{child.part.name:9} ready: {urls}")
            else:
                see = (
                    f"its log, {child.log_file}:\n{child.log_tail()}"
                    if child.log_file
                    else "its log lines above"
                )
                print(f"{child.part.name:9} did not become ready; see {see}", file=sys.stderr)
                return 1
        if children:
            print("homeward  running; Ctrl-C stops everything (the broker and database keep running)")
        supervise(children, lambda: stopping)
    finally:
        for child in reversed(children):
            child.stop()
        if children:
            print(
                "homeward  stopped: every service exited; unsent outbox rows stay queued for the next start"
            )
    return 0


def supervise(children: list[Child], stopping: Callable[[], bool]) -> None:
    while not stopping():
        for child in children:
            if child.alive() or stopping():
                continue
            child.restarts += 1
            delay = min(30.0, 2.0**child.restarts)
            code = child.process.returncode if child.process else None
            print(f"{child.part.name:9} exited with {code}; restarting in {delay:.0f}s")
            if child.log_file is not None:
                print(child.log_tail())
            until = time.monotonic() + delay
            while time.monotonic() < until and not stopping():
                time.sleep(0.1)
            if not stopping():
                child.start()
        time.sleep(0.2)
