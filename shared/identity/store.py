"""The users table in the identity schema, which every service's API reads through its own pool."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from shared.db import Pool, check_schema_name, migrate
from shared.db_roles import TablePrivileges
from shared.events.ids import uuid7

from .model import TOKEN_PREFIX, Role, User, hash_token

# the folder name is part of each migration's recorded version: it must not change
IDENTITY_MIGRATIONS = Path(__file__).parent / "sql_identity"
# every service reads users (and intake, which hosts the users API, adds and revokes them); none deletes
IDENTITY_PRIVILEGES = TablePrivileges(default=frozenset({"SELECT", "INSERT", "UPDATE"}))


async def migrate_identity(dsn: str, schema: str) -> None:
    await migrate(dsn, schema, [IDENTITY_MIGRATIONS], include_shared=False)


class IdentityStore:
    """Reads and writes the users table in the identity schema through a service's pool."""

    def __init__(self, pool: Pool, schema: str) -> None:
        self.pool = pool
        self.table = f'"{check_schema_name(schema)}".users'

    async def add_user(
        self, name: str, role: Role, expires_at: datetime | None = None, programmes: Iterable[str] = ()
    ) -> tuple[User, str]:
        """Create a user; return it and its token. The token is shown once and never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        user = User(id=uuid7(), name=name, role=Role(role), programmes=frozenset(programmes))
        await self.pool.execute(
            f"INSERT INTO {self.table} (id, name, role, token_hash, expires_at, programmes)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            user.id,
            user.name,
            user.role.value,
            hash_token(token),
            expires_at,
            sorted(user.programmes),
        )
        return user, token

    async def user_for_token(self, token: str) -> User | None:
        row = await self.pool.fetchrow(
            f"SELECT id, name, role, programmes FROM {self.table} WHERE token_hash = $1"
            " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
            hash_token(token),
        )
        if row is None:
            return None
        return User(
            id=row["id"], name=row["name"], role=Role(row["role"]), programmes=frozenset(row["programmes"])
        )

    async def revoke(self, name: str) -> bool:
        result = await self.pool.execute(
            f"UPDATE {self.table} SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
        )
        return result.endswith(" 1")
