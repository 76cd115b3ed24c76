"""`homeward outbox list-parked (--service NAME | --schema NAME)` and
`homeward outbox requeue (--service NAME | --schema NAME) (--id ID ... | --all)`.

A parked outbox row is one the broker refused every time the relay tried it (an unknown topic, a
record too large, a topic the service may not write); it holds back the later rows of its key
(case). Fix the cause (create the topic, raise the topic's `max.message.bytes`, grant the ACL),
then re-queue the row: the running relay takes it at once, with a fresh set of tries."""

from __future__ import annotations

import argparse
import sys


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("outbox", help="list and re-queue the outbox rows the relay parked")
    actions = parser.add_subparsers(dest="outbox_action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list-parked", help="the parked rows of a service's outbox, with their reason"
    )
    requeue = actions.add_parser("requeue", help="give parked rows a fresh set of tries")
    for action in (listing, requeue):
        where = action.add_mutually_exclusive_group(required=True)
        where.add_argument("--service", help="the service whose outbox it is (intake, referral, grants)")
        where.add_argument(
            "--schema", help="the database schema of the outbox (when it is not the service's name)"
        )
        action.set_defaults(handler=run)
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id", type=int, action="append", dest="ids", metavar="ID", help="a parked row (repeatable)"
    )
    which.add_argument("--all", action="store_true", help="every parked row")


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from shared.db import create_pool
    from shared.outbox import store
    from shared.settings import Settings

    settings = Settings()
    schema = args.schema or settings.schema_for(args.service)
    pool = await create_pool(settings.database_url, schema, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            if not await connection.fetchval("SELECT to_regclass('outbox') IS NOT NULL"):
                print(f"homeward outbox: schema {schema!r} has no outbox", file=sys.stderr)
                return 1
            if args.outbox_action == "list-parked":
                parked = await store.parked_rows(connection)
                for row in parked:
                    print(
                        f"{row.id}\t{row.parked_at:%Y-%m-%d %H:%M:%S}\t{row.topic}\tkey {row.key}"
                        f"\tevent {row.event_id}\t{row.attempts} tries\t{row.reason}"
                    )
                print(f"{len(parked)} parked row(s) in {schema}.outbox")
                return 0
            requeued = await store.requeue(connection, None if args.all else args.ids)
        missing = sorted(set(args.ids or ()) - set(requeued))
        if missing:
            print(f"homeward outbox requeue: not parked: {', '.join(map(str, missing))}", file=sys.stderr)
        print(
            f"re-queued {len(requeued)} row(s) of {schema}.outbox"
            + (f": {', '.join(map(str, requeued))}" if requeued else "")
        )
        return 1 if missing else 0
    finally:
        await pool.close()
