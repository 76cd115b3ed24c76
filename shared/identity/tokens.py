"""API tokens, for machines and scripts: a random secret shown once, stored as its SHA-256 hash,
expiring (by default: `api_token_days`, chosen by whoever issues it) and revocable one by one or
all at once with their user."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db import Connection, Pool
from shared.events.ids import uuid7

from .model import TOKEN_PREFIX, ApiToken, User, hash_token
from .rows import USER_COLUMNS, user_of
from .verified import VerifiedTokens

TOKEN_COLUMNS = "t.id, t.user_id, t.created_by, t.created_at, t.expires_at, t.revoked_at"  # noqa: S105


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _token(row: asyncpg.Record) -> ApiToken:
    return ApiToken(
        id=row["id"],
        user_id=row["user_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


class TokenStore:
    """`verified`: the process's cache of verified tokens (shared.identity.verified); None reads
    the database for every request."""

    def __init__(self, pool: Pool, schema: str, verified: VerifiedTokens | None = None) -> None:
        self.pool = pool
        self.table = f'"{schema}".api_tokens'
        self.users = f'"{schema}".users'
        self.verified = verified

    async def issue(
        self,
        user_id: UUID,
        expires_at: datetime | None,
        created_by: UUID | None,
        *,
        connection: Connection | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token for `user_id`; the secret is returned once."""
        secret = new_token()
        row = await (connection or self.pool).fetchrow(
            f"INSERT INTO {self.table} AS t (id, user_id, token_hash, created_by, expires_at)"
            f" VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}",
            uuid7(),
            user_id,
            hash_token(secret),
            created_by,
            expires_at,
        )
        if row is None:  # INSERT ... RETURNING answers its row
            raise LookupError(f"the token of user {user_id} was not stored")
        return _token(row), secret

    async def user_for_token(self, secret: str) -> User | None:
        """The active user a live token belongs to; None for anything else. From the cache of
        verified tokens when it has the token (no refusal is cached: an unknown token is read
        again each time)."""
        token_hash = hash_token(secret)
        generation = 0
        if self.verified is not None:
            if (cached := self.verified.get(token_hash)) is not None:
                return cached
            generation = self.verified.generation  # before reading: a notice since voids the read
        row = await self.pool.fetchrow(
            f"SELECT {USER_COLUMNS}, t.expires_at FROM {self.table} t JOIN {self.users} u ON u.id = t.user_id"
            " WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            " AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.revoked_at IS NULL",
            token_hash,
        )
        if row is None:
            return None
        user = user_of(row)
        if self.verified is not None:
            self.verified.put(token_hash, user, row["expires_at"], generation)
        return user

    async def tokens_of(self, user_id: UUID) -> list[ApiToken]:
        rows = await self.pool.fetch(
            f"SELECT {TOKEN_COLUMNS} FROM {self.table} t WHERE t.user_id = $1 ORDER BY t.id", user_id
        )
        return [_token(row) for row in rows]

    async def revoke(self, token_id: UUID, by: UUID | None) -> ApiToken | None:
        """Revoke one live token; None if there is no such token or it was revoked already. Every
        process forgets it when this commits (the table's trigger notifies: sql_identity/0500)."""
        row = await self.pool.fetchrow(
            f"UPDATE {self.table} t SET revoked_at = now(), revoked_by = $2"
            f" WHERE t.id = $1 AND t.revoked_at IS NULL RETURNING {TOKEN_COLUMNS}",
            token_id,
            by,
        )
        if row is None:
            return None
        self.forget_here(row["user_id"])
        return _token(row)

    def forget_here(self, user_id: UUID) -> None:
        """After a change committed: this process forgets the user's tokens now, without waiting
        for its own notice (the next request, in this process, is refused)."""
        if self.verified is not None:
            self.verified.forget_user(str(user_id))

    async def revoke_all_of(self, user_id: UUID, by: UUID | None, *, connection: Connection) -> None:
        await connection.execute(
            f"UPDATE {self.table} SET revoked_at = now(), revoked_by = $2"
            " WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
            by,
        )
