"""`homeward users ...`: what an admin does over HTTP (`/v1/users`), from a shell on the database.

    homeward users add NAME --role ROLE [--programme ID ... | --all-programmes] [--office CODE]
                       [--case-scope programmes|office|assigned] [--partner ID] [--password-stdin]
                       [--token] [--expires-in-days N]
    homeward users list [--all]
    homeward users show NAME                    (the user, every grant recorded, their tokens)
    homeward users grant NAME --role ROLE [--programme ID ... | --all-programmes] [--office CODE]
                         [--case-scope ...]     (recorded as a grant, by the shell's OS user)
    homeward users revoke NAME                  (sessions and tokens end at once)
    homeward users password NAME --password-stdin
    homeward users token NAME [--expires-in-days N]
    homeward users revoke-token TOKEN_ID

A person gets a password (read from standard input, never from the command line, where `ps` and the
shell history would keep it); a machine a token, printed once and stored as a hash, expiring after
`HOMEWARD_API_TOKEN_DAYS` (90) unless `--expires-in-days` asks for another lifetime. A user with no
programme sees nothing (scopes fail closed); `--all-programmes` lists every programme of
donor-policies.yaml at this moment (a programme added later must be granted). A partner
organisation's staff get `--role partner --partner ID` (an id of partners.yaml) and nothing else:
they sign in on referral's partner portal and see that partner's referrals only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from shared.identity.model import CaseScope, Role


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    programmes = parser.add_mutually_exclusive_group()
    programmes.add_argument(
        "--programme",
        action="append",
        default=[],
        metavar="ID",
        dest="programmes",
        help="a donor programme whose cases the user sees (repeat for more; none: nothing at all)",
    )
    programmes.add_argument(
        "--all-programmes", action="store_true", help="every programme of donor-policies.yaml today"
    )
    parser.add_argument("--office", default=None, metavar="CODE", help="the user's office, e.g. skopje")
    parser.add_argument(
        "--case-scope",
        default=CaseScope.PROGRAMMES.value,
        choices=[s.value for s in CaseScope],
        help="which cases of their programmes: all (programmes), their office's, or those assigned to them",
    )
    parser.add_argument(
        "--partner",
        default=None,
        metavar="ID",
        dest="partner_id",
        help="for --role partner: the partners.yaml id of the partner the user acts for",
    )


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("users", help="make, change and revoke the users of Homeward")
    actions = parser.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user with a password (stdin) and/or a token (printed once)")
    add.add_argument("name", help="a unique user name, e.g. a.petrovska")
    _scope_arguments(add)
    add.add_argument("--password-stdin", action="store_true", help="read the person's password from stdin")
    add.add_argument(
        "--token", action="store_true", help="issue an API token too (the default without a password)"
    )
    add.add_argument("--expires-in-days", type=int, default=None, metavar="N", help="the token's lifetime")
    listing = actions.add_parser("list", help="the users, with their role and scope")
    listing.add_argument("--all", action="store_true", help="revoked users too")
    show = actions.add_parser("show", help="a user, every grant of a role recorded, their tokens")
    show.add_argument("name")
    grant = actions.add_parser("grant", help="change a user's role and scope (recorded)")
    grant.add_argument("name")
    _scope_arguments(grant)
    revoke = actions.add_parser("revoke", help="revoke a user: their sessions and tokens end at once")
    revoke.add_argument("name")
    password = actions.add_parser("password", help="reset a user's password (stdin); their sessions end")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", required=True)
    token = actions.add_parser("token", help="issue another API token for a user (printed once)")
    token.add_argument("name")
    token.add_argument("--expires-in-days", type=int, default=None, metavar="N")
    revoke_token = actions.add_parser("revoke-token", help="revoke one API token at once")
    revoke_token.add_argument("token_id")
    for action in (add, listing, show, grant, revoke, password, token, revoke_token):
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    days = getattr(args, "expires_in_days", None)
    if days is not None and not 1 <= days <= 3650:
        print(f"homeward users {args.users_action}: --expires-in-days must be 1 to 3650", file=sys.stderr)
        return 2
    secret = None
    if getattr(args, "password_stdin", False):
        secret = sys.stdin.readline().rstrip("\r\n")
    return asyncio.run(_run(args, secret))


def programme_ids(config_dir: Path) -> set[str]:
    """The programme ids in donor-policies.yaml."""
    import yaml

    document = yaml.safe_load((config_dir / "donor-policies.yaml").read_text(encoding="utf-8")) or {}
    return {str(programme["id"]) for programme in document.get("programmes") or []}


async def _run(args: argparse.Namespace, password: str | None) -> int:
    import getpass

    from shared.db import create_pool
    from shared.identity.admin import Actor, GrantRefused, InvalidUser, UnknownUser, UserAdmin
    from shared.identity.passwords import HashCost, PasswordPolicy, Passwords
    from shared.identity.store import IdentityStore, migrate_identity
    from shared.partners import partner_ids
    from shared.settings import Settings

    settings = Settings()
    await migrate_identity(settings.database_url, settings.identity_schema)
    pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=1)
    store = IdentityStore(pool, settings.identity_schema)
    known = programme_ids(settings.config_dir)
    admin = UserAdmin(
        store,
        Passwords(
            HashCost(
                settings.password_hash_time_cost,
                settings.password_hash_memory_kib,
                settings.password_hash_parallelism,
            )
        ),
        PasswordPolicy(settings.password_min_length),
        known_programmes=known,
        known_partners=partner_ids(settings.config_dir),
    )
    actor = Actor(None, f"cli:{getpass.getuser()}")
    command = f"homeward users {args.users_action}"
    try:
        return await _act(args, password, store, admin, actor, settings.api_token_days, known)
    except InvalidUser as invalid:
        for field, message in invalid.problems:
            print(f"{command}: {field.replace('_', '-')}: {message}", file=sys.stderr)
        # a taken name is a conflict with what exists (1); anything else, a wrong request (2)
        return 1 if {field for field, _ in invalid.problems} == {"name"} else 2
    except (GrantRefused, UnknownUser) as refused:
        print(f"{command}: {refused}", file=sys.stderr)
        return 1
    finally:
        await pool.close()


async def _act(
    args: argparse.Namespace,
    password: str | None,
    store: Any,
    admin: Any,
    actor: Any,
    default_days: int,
    known: set[str],
) -> int:
    from shared.identity.admin import UnknownUser

    action = args.users_action
    if action == "list":
        for account in await store.accounts(include_revoked=args.all, limit=10_000, after=None):
            print(_line(account.user) + (" (revoked)" if account.revoked_at else ""))
        return 0
    if action == "revoke-token":
        from uuid import UUID

        try:
            revoked = await store.tokens.revoke(UUID(args.token_id), None)
        except ValueError:
            revoked = None
        if revoked is None:
            raise UnknownUser(f"no live token {args.token_id}")
        print(f"revoked token {revoked.id}")
        return 0
    if action == "add":
        grant = _grant(args, known)
        token_days = (args.expires_in_days or default_days) if (args.token or password is None) else None
        added = await admin.add(args.name, grant, actor, password=password, token_days=token_days)
        print(f"added {_line(added.user)}" + (", with a password" if password is not None else ""))
        if added.token:
            token, secret = added.token
            print(f"token {token.id}, expires {token.expires_at:%Y-%m-%d} (shown once; keep it secret):")
            print(secret)
        return 0
    found = await store.user_by_name(args.name)
    if found is None:
        raise UnknownUser(f"no active user {args.name!r}")
    user = found[0]
    if action == "show":
        for line in await store.grants_of(user.id):
            who = str(line.granted_by) if line.granted_by else line.via
            print(
                f"{line.granted_at:%Y-%m-%d %H:%M} {line.change.value} {line.role.value}"
                f" programmes={','.join(sorted(line.programmes)) or '-'} office={line.office or '-'}"
                f" case-scope={line.case_scope.value}"
                + (f" partner={line.partner_id}" if line.partner_id else "")
                + f" by {who}"
            )
        for token in await store.tokens.tokens_of(user.id):
            state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
            print(f"token {token.id} made {token.created_at:%Y-%m-%d}, {state}")
        return 0
    if action == "grant":
        changed = await admin.change_grant(user.id, _grant(args, known), actor)
        print(f"granted {_line(changed)}")
        return 0
    if action == "revoke":
        await admin.revoke(user.id, actor)
        print(f"revoked {user.name}")
        return 0
    if action == "password":
        if not password:
            print("homeward users password: give the new password on standard input", file=sys.stderr)
            return 2
        await admin.reset_password(user.id, password)
        print(f"password reset for {user.name}; their sessions ended")
        return 0
    token, secret = await admin.issue_token(user.id, args.expires_in_days or default_days, actor)
    print(f"token {token.id} for {user.name}, expires {token.expires_at:%Y-%m-%d} (shown once):")
    print(secret)
    return 0


def _grant(args: argparse.Namespace, known: set[str]) -> Any:
    from shared.identity.admin import Grant

    programmes = sorted(known) if args.all_programmes else args.programmes
    return Grant(
        Role(args.role), frozenset(programmes), args.office, CaseScope(args.case_scope), args.partner_id
    )


def _line(user: Any) -> str:
    if user.partner_id is not None:
        return f"{user.name} ({user.role.value}), id {user.id}, partner {user.partner_id}"
    programmes = "all" if user.sees_every_programme else (", ".join(sorted(user.programmes)) or "none")
    office = f", office {user.office}" if user.office else ""
    scope = f", sees {user.case_scope.value}" if user.case_scope is not CaseScope.PROGRAMMES else ""
    return f"{user.name} ({user.role.value}), id {user.id}, programmes {programmes}{office}{scope}"
