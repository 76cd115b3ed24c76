"""Bearer tokens and roles, the same for every service's HTTP API.

A token maps to one user with one role; only its SHA-256 is stored. `require_roles(...)` is a
FastAPI dependency: 401 without a valid token, 403 for a role that may not do this.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from uuid import UUID

from fastapi import HTTPException, Request, status

from .db import Pool, check_schema_name, migrate
from .events.ids import uuid7

IDENTITY_MIGRATIONS = Path(__file__).parent / "sql_identity"
TOKEN_PREFIX = "hw_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: UUID
    name: str
    role: Role
    # the donor programmes this user works on; empty: all of them
    programmes: frozenset[str] = frozenset()

    def may_see_programme(self, programme_id: str) -> bool:
        return not self.programmes or programme_id in self.programmes

    def programme_scope(self) -> list[str] | None:
        """The programmes to filter lists by; None when the user sees every programme."""
        return sorted(self.programmes) if self.programmes else None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def authenticate(request: Request) -> User:
    """The caller, from `Authorization: Bearer <token>`; the app keeps an IdentityStore in
    `app.state.identity`."""
    token = _bearer(request)
    store: IdentityStore = request.app.state.identity
    user = await store.user_for_token(token) if token else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user
    return user


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[User]]:
    """`Depends(require_roles(Role.SUPERVISOR))`: the caller, if their role is one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> User:
        user = await authenticate(request)
        if user.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {user.role.value!r} may not do this; needs one of: "
                + ", ".join(sorted(r.value for r in allowed)),
            )
        return user

    return dependency
