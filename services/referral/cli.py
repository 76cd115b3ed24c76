"""`homeward referral [--host] [--port]` runs the service; `homeward referral asyncapi` the contract;
`homeward referral migrate` its migrations alone."""

from __future__ import annotations

import argparse
import sys


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "referral", help="the referral service: partner routing, consumers, HTTP API, escalation sweep"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.set_defaults(handler=run)
    sub = parser.add_subparsers(dest="referral_command", metavar="SUBCOMMAND")
    document = sub.add_parser("asyncapi", help="print, write or check the partner contract (AsyncAPI)")
    action = document.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write docs/asyncapi/referral.yaml")
    action.add_argument("--check", action="store_true", help="exit 1 when the committed document is stale")
    document.set_defaults(handler=asyncapi)
    sub.add_parser("migrate", help="apply the migrations and privileges as the owner, and exit").set_defaults(
        handler=migrate
    )


def run(args: argparse.Namespace) -> int:
    from shared.http.serve import serve

    from .app import create_app
    from .core.directory import DirectoryError

    try:
        return serve("referral", create_app, host=args.host, port=args.port)
    except DirectoryError as error:
        print(f"homeward referral: {error}", file=sys.stderr)
        return 2


def asyncapi(args: argparse.Namespace) -> int:
    from .asyncapi import DOCUMENT, REGENERATE, contract_document, write_document

    if args.write:
        changed = write_document()
        print(f"{DOCUMENT}: {'written' if changed else 'already up to date'}")
        return 0
    if args.check:
        current = DOCUMENT.exists() and DOCUMENT.read_text(encoding="utf-8") == contract_document()
        if not current:
            print(f"{DOCUMENT} is stale: run `{REGENERATE}`", file=sys.stderr)
        return 0 if current else 1
    sys.stdout.write(contract_document())
    return 0


def migrate(args: argparse.Namespace) -> int:
    from shared.runtime import migrate_command

    from .app import MIGRATION_FOLDERS
    from .store import PRIVILEGES

    return migrate_command("referral", MIGRATION_FOLDERS, PRIVILEGES)
