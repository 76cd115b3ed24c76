"""`homeward <command>`: each command lives beside what it runs and registers itself here.

A command module exposes `register(subparsers)`; modules are imported only as far as building the
parser needs, so `homeward infra up` does not pay for the services' imports.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

COMMAND_MODULES = [
    "deploy.local.cli",
    "deploy.kafka.cli",
    "homeward.run",
    "homeward.demo",
    "homeward.users",
    "homeward.outbox",
    "homeward.privacy",
    "services.intake.cli",
    "services.referral.cli",
    "services.grants.cli",
    "services.reporting.cli",
]


def _available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homeward", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        if _available(name):
            importlib.import_module(name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
