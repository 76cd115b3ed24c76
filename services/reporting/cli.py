"""`homeward reporting [--host] [--port 8004]` runs the service; `homeward reporting migrate` its
migrations alone; `homeward reporting rebuild` replays the topics into a fresh read model and swaps
it in."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 8004


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("reporting", help="run the reporting service (donor reports, read model)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.set_defaults(handler=run)
    sub = parser.add_subparsers(dest="reporting_command", metavar="SUBCOMMAND")
    sub.add_parser("migrate", help="apply the migrations and privileges as the owner, and exit").set_defaults(
        handler=migrate
    )
    sub.add_parser(
        "rebuild", help="replay the topics from the beginning into a fresh read model and swap it in"
    ).set_defaults(handler=rebuild)


def run(args: argparse.Namespace) -> int:
    from shared.http.serve import serve

    from .app import create_app

    return serve("reporting", create_app, host=args.host, port=args.port)


def migrate(args: argparse.Namespace) -> int:
    from shared.runtime import migrate_command

    from .app import MIGRATION_FOLDERS
    from .store import PRIVILEGES

    return migrate_command("reporting", MIGRATION_FOLDERS, PRIVILEGES)


def rebuild(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from shared.logging import configure_logging
    from shared.settings import Settings

    from .core.errors import ReplayIncomplete
    from .use_cases.rebuild import run_rebuild

    settings = Settings()
    configure_logging("reporting", settings.log_level, settings.log_format)
    try:
        rebuilt = asyncio.run(run_rebuild(settings))
    except ReplayIncomplete as error:
        print(f"homeward reporting rebuild: {error}", file=sys.stderr)
        return 2
    print(
        f"reporting: generation {rebuilt.generation} replaced {rebuilt.previous}:"
        f" {rebuilt.events} events in {rebuilt.seconds:.2f} s"
    )
    return 0
