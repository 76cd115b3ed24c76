"""`homeward grants [--host] [--port 8003]` runs the service (`homeward grants migrate`: its migrations
alone); `homeward ledger ...` audits its ledger (ledger_cli.py): verify an export offline, prove one
payment, verify a proof, make a key."""

from __future__ import annotations

import argparse
import sys

from .ledger_cli import register_ledger

DEFAULT_PORT = 8003


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    grants = commands.add_parser("grants", help="run the grants service (finance API, consumers, relay)")
    grants.add_argument("--host", default="127.0.0.1")
    grants.add_argument("--port", type=int, default=DEFAULT_PORT)
    grants.set_defaults(handler=run_service)
    sub = grants.add_subparsers(dest="grants_command", metavar="SUBCOMMAND")
    sub.add_parser("migrate", help="apply the migrations and privileges as the owner, and exit").set_defaults(
        handler=migrate
    )
    register_ledger(commands)


def run_service(args: argparse.Namespace) -> int:
    from shared.http.serve import serve

    from .app import create_app
    from .core.policies import PolicyFileError
    from .settings import SigningKeyError

    try:
        return serve("grants", create_app, host=args.host, port=args.port)
    except (PolicyFileError, SigningKeyError) as error:
        print(f"homeward grants: {error}", file=sys.stderr)
        return 2


def migrate(args: argparse.Namespace) -> int:
    from shared.runtime import migrate_command

    from .app import MIGRATION_FOLDERS
    from .store import PRIVILEGES

    return migrate_command("grants", MIGRATION_FOLDERS, PRIVILEGES)
