"""`homeward run`: the whole system on this machine, in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from deploy.local import infra
from deploy.local.processes import InfraError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("run", help="bring up the infrastructure and every service")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        where = infra.up(print)
    except InfraError as error:
        print(f"homeward run: {error}", file=sys.stderr)
        return 2
    print(f"infrastructure up: KAFKA_BOOTSTRAP_SERVERS={where.kafka_bootstrap}")
    print(f"                   DATABASE_URL={where.database_url}")
    print(
        "no service is wired in yet; Ctrl-C to leave (the broker and database keep running: "
        "'homeward infra down' stops them)"
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    return 0
