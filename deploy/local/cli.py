"""`homeward infra up | down | status`."""

from __future__ import annotations

import argparse
import sys

from . import infra
from .processes import InfraError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("infra", help="the local Kafka broker and PostgreSQL server")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument(
        "--brokers",
        type=int,
        choices=infra.BROKER_COUNTS,
        help="up: one Kafka broker, or a three-node cluster (remembered by the local folder; default:"
        " as last time, else 1)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "up":
            where = infra.up(print, brokers=args.brokers)
            print(
                f"infrastructure up: KAFKA_BOOTSTRAP_SERVERS={where.kafka_bootstrap} "
                f"DATABASE_URL={where.database_url}"
            )
        elif args.action == "down":
            infra.down(print)
        else:
            report = infra.status()
            for part, state in report.items():
                print(f"{part:9} {state}")
            return 0 if all(state in {"running", "external"} for state in report.values()) else 1
    except InfraError as error:
        print(f"homeward infra {args.action}: {error}", file=sys.stderr)
        return 2
    return 0
