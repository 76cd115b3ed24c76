"""`homeward users add NAME --role ROLE [--expires-in-days N] [--programme ID ...]` and
`homeward users revoke NAME`.

The token is printed once and stored only as a hash; a lost token is revoked and a new user added.
`--programme` (repeatable) limits the user to cases of those donor programmes; none: all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.identity.model import Role


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("users", help="add or revoke the users of Homeward's APIs")
    actions = parser.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user and print their token (shown once)")
    add.add_argument("name", help="a unique user name, e.g. a.petrovska")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument(
        "--expires-in-days", type=int, default=None, metavar="N", help="the token stops working after N days"
    )
    add.add_argument(
        "--programme",
        action="append",
        default=[],
        metavar="ID",
        dest="programmes",
        help="a donor programme whose cases the user may see (repeat for more; none: every programme)",
    )
    add.set_defaults(handler=run)
    revoke = actions.add_parser("revoke", help="revoke a user's token at once")
    revoke.add_argument("name")
    revoke.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    if args.users_action == "add" and args.expires_in_days is not None and args.expires_in_days < 1:
        print("homeward users add: --expires-in-days must be 1 or more", file=sys.stderr)
        return 2
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    import asyncpg

    from shared.db import create_pool
    from shared.identity.model import Role
    from shared.identity.store import IdentityStore, migrate_identity
    from shared.settings import Settings

    settings = Settings()
    await migrate_identity(settings.database_url, settings.identity_schema)
    pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=1)
    try:
        store = IdentityStore(pool, settings.identity_schema)
        if args.users_action == "revoke":
            if not await store.revoke(args.name):
                print(f"homeward users revoke: no active user {args.name!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.name}")
            return 0
        expires = datetime.now(UTC) + timedelta(days=args.expires_in_days) if args.expires_in_days else None
        unknown = sorted(set(args.programmes) - programme_ids(settings.config_dir))
        if unknown:
            print(f"homeward users add: unknown programme(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        try:
            user, token = await store.add_user(args.name, Role(args.role), expires, args.programmes)
        except asyncpg.UniqueViolationError:
            print(f"homeward users add: a user named {args.name!r} already exists", file=sys.stderr)
            return 1
        print(
            f"added {user.name} ({user.role.value}), id {user.id}"
            + (f", expires {expires:%Y-%m-%d}" if expires else "")
            + (f", programmes {', '.join(sorted(user.programmes))}" if user.programmes else "")
        )
        print("token (shown once; keep it secret):")
        print(token)
        return 0
    finally:
        await pool.close()


def programme_ids(config_dir: Path) -> set[str]:
    """The programme ids in donor-policies.yaml."""
    import yaml

    document = yaml.safe_load((config_dir / "donor-policies.yaml").read_text(encoding="utf-8")) or {}
    return {str(programme["id"]) for programme in document.get("programmes") or []}
