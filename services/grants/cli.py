"""`homeward grants [--host] [--port 8003]` runs the service; `homeward ledger verify FILE.csv`
checks a ledger export offline, with nothing but the file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_PORT = 8003


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    grants = commands.add_parser("grants", help="run the grants service (finance API, consumers, relay)")
    grants.add_argument("--host", default="127.0.0.1")
    grants.add_argument("--port", type=int, default=DEFAULT_PORT)
    grants.set_defaults(handler=run_service)

    ledger = commands.add_parser("ledger", help="audit a grants ledger export")
    actions = ledger.add_subparsers(dest="ledger_action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="recompute the hash chain of an export.csv")
    verify.add_argument("file", type=Path, metavar="FILE.csv")
    verify.set_defaults(handler=verify_export)


def run_service(args: argparse.Namespace) -> int:
    from shared.http.serve import serve

    from .app import create_app
    from .core.policies import PolicyFileError

    try:
        return serve("grants", create_app, host=args.host, port=args.port)
    except PolicyFileError as error:
        print(f"homeward grants: {error}", file=sys.stderr)
        return 2


def verify_export(args: argparse.Namespace) -> int:
    """Exit 0 when the chain is intact and every transaction balances, 1 otherwise; one line."""
    from .core.ledger.audit import verify_entries
    from .core.ledger.export import ExportFormatError, read_csv

    try:
        with args.file.open(newline="") as stream:
            verdict = verify_entries(read_csv(stream))
    except OSError as error:
        print(f"FAILED: cannot read {args.file}: {error.strerror}")
        return 1
    except ExportFormatError as error:
        print(f"FAILED: {args.file} {error}")
        return 1
    print(verdict.line())
    return 0 if verdict.ok else 1
