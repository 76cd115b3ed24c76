"""`homeward intake [--host] [--port]`: the intake service in one process (HTTP API and caseworker
page via uvicorn, timeline consumers, outbox relay); `homeward intake migrate`: its migrations alone."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8001


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("intake", help="run the intake service (API, caseworker page, consumers)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.set_defaults(handler=run)
    sub = parser.add_subparsers(dest="intake_command", metavar="SUBCOMMAND")
    sub.add_parser("migrate", help="apply the migrations and privileges as the owner, and exit").set_defaults(
        handler=migrate
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from services.intake.app import create_app
    from services.intake.core.retention import RetentionError
    from shared.http.serve import serve

    try:
        return serve("intake", create_app, host=args.host, port=args.port)
    except RetentionError as error:
        print(f"homeward intake: {error}", file=sys.stderr)
        return 2


def migrate(args: argparse.Namespace) -> int:
    from services.intake.app import MIGRATION_FOLDERS
    from services.intake.store import PRIVILEGES
    from shared.runtime import migrate_command

    return migrate_command("intake", MIGRATION_FOLDERS, PRIVILEGES)
