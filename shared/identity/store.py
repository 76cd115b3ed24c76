"""The identity schema every service's API reads through its own pool: users and the record of
their role grants here; API tokens (`tokens.py`), sessions (`sessions.py`) and the sign-in throttle
(`throttle.py`) beside it, reachable from an IdentityStore as `.tokens`, `.sessions`, `.throttle`.

Every change of a user's role or scope writes a `role_grants` row in the same transaction, with
who made it (a user, or the shell) — the record is append-only (a trigger refuses the rest).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from shared.db import Connection, Pool, check_schema_name, migrate, transaction
from shared.db_roles import APPEND_ONLY, TablePrivileges
from shared.events.ids import uuid7

from .model import Account, CaseScope, GrantChange, Role, RoleGrant, User
from .rows import USER_COLUMNS, user_of
from .sessions import SessionStore
from .throttle import SignInThrottle
from .tokens import TokenStore
from .verified import VerifiedTokens

# the folder name is part of each migration's recorded version: it must not change
IDENTITY_MIGRATIONS = Path(__file__).parent / "sql_identity"
# What every service's role may do in the identity schema: users and tokens are read, added and
# revoked (intake hosts the users API), never deleted; sessions and the sign-in throttle come and go
# (expired ones are pruned at sign-in); every grant of a role is kept as it was recorded.
IDENTITY_PRIVILEGES = TablePrivileges(
    {
        "users": frozenset({"SELECT", "INSERT", "UPDATE"}),
        "api_tokens": frozenset({"SELECT", "INSERT", "UPDATE"}),
        "sessions": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
        "sign_in_throttle": frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"}),
        "role_grants": APPEND_ONLY,
    },
    default=frozenset({"SELECT"}),
)


async def migrate_identity(dsn: str, schema: str) -> None:
    await migrate(dsn, schema, [IDENTITY_MIGRATIONS], include_shared=False)


class NameTaken(Exception):
    """A user with this name (in any letter case) exists already."""


class IdentityStore:
    """Users and their role grants; `.tokens`, `.sessions`, `.throttle` for the rest. `verified`:
    the process's cache of verified tokens (a running service's, with its listener: `shared.runtime`).

    Every change of a user or a token (revoked, a new role or scope, a language) notifies every
    process in its transaction: the tables' trigger does (sql_identity/0500), for the shell's and
    an operator's changes too; the process that made it forgets at once (`forget_here`)."""

    def __init__(self, pool: Pool, schema: str, verified: VerifiedTokens | None = None) -> None:
        self.pool = pool
        self.schema = check_schema_name(schema)
        self.table = f'"{self.schema}".users'
        self.grants_table = f'"{self.schema}".role_grants'
        self.tokens = TokenStore(pool, self.schema, verified)
        self.sessions = SessionStore(pool, self.schema)
        self.throttle = SignInThrottle(pool, self.schema)

    # -- making users

    async def create_user(
        self,
        name: str,
        role: Role,
        *,
        programmes: Iterable[str] = (),
        office: str | None = None,
        case_scope: CaseScope = CaseScope.PROGRAMMES,
        password_hash: str | None = None,
        created_by: UUID | None = None,
        via: str = "cli",
        connection: Connection | None = None,
        partner_id: str | None = None,
    ) -> User:
        """A new user and the grant of its role, recorded; NameTaken if the name is taken."""
        user = User(
            id=uuid7(),
            name=name,
            role=Role(role),
            programmes=frozenset(programmes),
            office=office,
            case_scope=case_scope,
            partner_id=partner_id,
        )
        if connection is None:
            async with transaction(self.pool) as own:
                return await self.create_user(
                    name, role, programmes=programmes, office=office, case_scope=case_scope,
                    password_hash=password_hash, created_by=created_by, via=via, connection=own,
                    partner_id=partner_id,
                )  # fmt: skip
        try:
            await connection.execute(
                f"INSERT INTO {self.table} (id, name, role, programmes, office, case_scope, password_hash,"
                " created_by, partner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                user.id,
                user.name,
                user.role.value,
                sorted(user.programmes),
                user.office,
                user.case_scope.value,
                password_hash,
                created_by,
                user.partner_id,
            )
        except asyncpg.UniqueViolationError:
            raise NameTaken(name) from None
        await self._record_grant(connection, user, GrantChange.GRANTED, created_by, via)
        return user

    async def add_user(
        self,
        name: str,
        role: Role,
        expires_at: datetime | None = None,
        programmes: Iterable[str] = (),
        *,
        office: str | None = None,
        case_scope: CaseScope = CaseScope.PROGRAMMES,
        created_by: UUID | None = None,
        via: str = "cli",
        partner_id: str | None = None,
    ) -> tuple[User, str]:
        """A user with an API token (a machine's, or a script's); the token is returned once and
        only its hash is kept."""
        async with transaction(self.pool) as connection:
            user = await self.create_user(
                name, role, programmes=programmes, office=office, case_scope=case_scope,
                created_by=created_by, via=via, connection=connection, partner_id=partner_id,
            )  # fmt: skip
            _, token = await self.tokens.issue(user.id, expires_at, created_by, connection=connection)
        return user, token

    # -- reading

    async def user_by_name(self, name: str) -> tuple[User, str | None] | None:
        """An active user and their password hash (None: they have none), by name in any case."""
        row = await self.pool.fetchrow(
            f"SELECT {USER_COLUMNS}, u.password_hash FROM {self.table} u"
            " WHERE lower(u.name) = lower($1) AND u.revoked_at IS NULL",
            name,
        )
        return (user_of(row), row["password_hash"]) if row else None

    async def active_user(self, user_id: UUID) -> User | None:
        row = await self.pool.fetchrow(
            f"SELECT {USER_COLUMNS} FROM {self.table} u WHERE u.id = $1 AND u.revoked_at IS NULL", user_id
        )
        return user_of(row) if row else None

    async def account(self, user_id: UUID) -> Account | None:
        row = await self.pool.fetchrow(
            f"SELECT {USER_COLUMNS}, u.created_by, u.created_at, u.revoked_at,"
            f" u.password_hash IS NOT NULL AS has_password FROM {self.table} u WHERE u.id = $1",
            user_id,
        )
        return _account(row) if row else None

    async def accounts(self, *, include_revoked: bool, limit: int, after: UUID | None) -> list[Account]:
        """Users by id (oldest first), `limit` at a time after `after`."""
        rows = await self.pool.fetch(
            f"SELECT {USER_COLUMNS}, u.created_by, u.created_at, u.revoked_at,"
            f" u.password_hash IS NOT NULL AS has_password FROM {self.table} u"
            " WHERE ($1 OR u.revoked_at IS NULL) AND ($2::uuid IS NULL OR u.id > $2) ORDER BY u.id LIMIT $3",
            include_revoked,
            after,
            limit,
        )
        return [_account(row) for row in rows]

    async def grants_of(self, user_id: UUID) -> list[RoleGrant]:
        rows = await self.pool.fetch(
            "SELECT user_id, change, role, programmes, office, case_scope, granted_by, via, granted_at,"
            " partner_id"
            f" FROM {self.grants_table} WHERE user_id = $1 ORDER BY id",
            user_id,
        )
        return [
            RoleGrant(
                user_id=r["user_id"],
                change=GrantChange(r["change"]),
                role=Role(r["role"]),
                programmes=frozenset(r["programmes"]),
                office=r["office"],
                case_scope=CaseScope(r["case_scope"]),
                granted_by=r["granted_by"],
                via=r["via"],
                granted_at=r["granted_at"],
                partner_id=r["partner_id"],
            )
            for r in rows
        ]

    # -- changing

    async def change_grant(
        self,
        user_id: UUID,
        *,
        role: Role,
        programmes: Iterable[str],
        office: str | None,
        case_scope: CaseScope,
        by: UUID | None,
        via: str,
        partner_id: str | None = None,
    ) -> User | None:
        """Give an active user this role and scope (recorded); None if there is no such user. Their
        sessions carry on under the new grant: each request reads the user afresh."""
        async with transaction(self.pool) as connection:
            row = await connection.fetchrow(
                f"UPDATE {self.table} u SET role = $2, programmes = $3, office = $4, case_scope = $5,"
                f" partner_id = $6 WHERE u.id = $1 AND u.revoked_at IS NULL RETURNING {USER_COLUMNS}",
                user_id,
                Role(role).value,
                sorted(set(programmes)),
                office,
                case_scope.value,
                partner_id,
            )
            if row is None:
                return None
            user = user_of(row)
            await self._record_grant(connection, user, GrantChange.CHANGED, by, via)
        self.tokens.forget_here(user_id)
        return user

    async def revoke_user(self, user_id: UUID, *, by: UUID | None, via: str) -> bool:
        """Revoke an active user: their sessions and tokens end at once (recorded)."""
        async with transaction(self.pool) as connection:
            row = await connection.fetchrow(
                f"UPDATE {self.table} u SET revoked_at = now(), revoked_by = $2"
                f" WHERE u.id = $1 AND u.revoked_at IS NULL RETURNING {USER_COLUMNS}",
                user_id,
                by,
            )
            if row is None:
                return False
            await self.sessions.end_all_of(user_id, "user_revoked", connection=connection)
            await self.tokens.revoke_all_of(user_id, by, connection=connection)
            await self._record_grant(connection, user_of(row), GrantChange.REVOKED, by, via)
        self.tokens.forget_here(user_id)
        return True

    async def revoke(self, name: str, *, by: UUID | None = None, via: str = "cli") -> bool:
        """Revoke the active user named `name` (any letter case)."""
        found = await self.user_by_name(name)
        return found is not None and await self.revoke_user(found[0].id, by=by, via=via)

    async def set_password(self, user_id: UUID, password_hash: str, *, end_sessions: bool) -> bool:
        """Set an active user's password hash; on a reset, their sessions end (a stolen session
        does not outlive the password it was opened with)."""
        async with transaction(self.pool) as connection:
            changed = await connection.fetchval(
                f"UPDATE {self.table} SET password_hash = $2 WHERE id = $1 AND revoked_at IS NULL"
                " RETURNING true",
                user_id,
                password_hash,
            )
            if changed and end_sessions:
                await self.sessions.end_all_of(user_id, "password_reset", connection=connection)
        return bool(changed)

    async def set_language(self, user_id: UUID, language: str) -> None:
        """Remember the pages' language an active user chose (the column's CHECK keeps it to ours)."""
        changed = await self.pool.fetchval(
            f"UPDATE {self.table} SET language = $2 WHERE id = $1 AND revoked_at IS NULL"
            " AND language IS DISTINCT FROM $2 RETURNING true",
            user_id,
            language,
        )
        if changed:  # a cached user carries their language
            self.tokens.forget_here(user_id)

    async def _record_grant(
        self, connection: Connection, user: User, change: GrantChange, by: UUID | None, via: str
    ) -> None:
        await connection.execute(
            f"INSERT INTO {self.grants_table} (user_id, change, role, programmes, office, case_scope,"
            " granted_by, via, partner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            user.id,
            change.value,
            user.role.value,
            sorted(user.programmes),
            user.office,
            user.case_scope.value,
            by,
            via,
            user.partner_id,
        )


def _account(row: asyncpg.Record) -> Account:
    return Account(
        user=user_of(row),
        created_by=row["created_by"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        has_password=row["has_password"],
    )
