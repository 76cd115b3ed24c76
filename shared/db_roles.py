"""Least privilege in the database (DESIGN rule 8): migrations run as an owner role; each service runs
as a role of its own that owns nothing and may only do what its code does.

A service declares, per table, what its runtime role may do (`TablePrivileges`); a table it does
not name gets the default — read and change rows — and the append-only tables (the ledger, the
access log) get SELECT and INSERT only. Because the runtime role owns nothing it cannot ALTER a
table, DISABLE its triggers, DROP or TRUNCATE it, or create anything: an insider with the service's
credentials cannot rewrite what the triggers protect.

Where the runtime role comes from (`shared.settings`):
- `HOMEWARD_MIGRATION_DATABASE_URL` (the owner) beside `DATABASE_URL` (the runtime role): production,
  where the migration step (an init container: `homeward <service> migrate`) holds the owner's
  password and the service only its own;
- `HOMEWARD_DB_RUNTIME_ROLE=homeward_{service}`: one URL (the owner's), the runtime pool logging in
  as that role instead — the local launcher and the tests, on a server that trusts local logins; the
  role is created on first use when the owner may create roles.
With neither, the service runs as the owner of its tables (a warning says so).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import asyncpg
import structlog

from .db import Connection, check_schema_name

log = structlog.get_logger("shared.db")

READ_AND_CHANGE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
APPEND_ONLY = frozenset({"SELECT", "INSERT"})
_KNOWN = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The tables every service schema has (shared/sql): the relay marks outbox rows sent and retention
# prunes both; the migration record is the owner's alone.
SHARED_TABLES: Mapping[str, frozenset[str]] = {
    "outbox": READ_AND_CHANGE,
    "inbox": frozenset({"SELECT", "INSERT", "DELETE"}),
    "schema_migrations": frozenset(),
}


@dataclass(frozen=True)
class TablePrivileges:
    """What a runtime role may do to each table of one schema (`default` for tables not named)."""

    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    default: frozenset[str] = READ_AND_CHANGE

    def __post_init__(self) -> None:
        for table, granted in self.tables.items():
            unknown = set(granted) - _KNOWN
            if unknown:
                raise ValueError(f"{table}: not a row privilege: {', '.join(sorted(unknown))}")

    def for_table(self, table: str) -> frozenset[str]:
        if table in self.tables:
            return self.tables[table]
        return SHARED_TABLES.get(table, self.default)


def user_of(dsn: str) -> str | None:
    return urlsplit(dsn).username


async def ensure_login_role(connection: Connection, role: str) -> None:
    """Create `role` (LOGIN, no other attribute) unless it exists; a no-op for an owner that may not
    create roles (the role must then exist already, made by whoever runs the database)."""
    _check_role(role)
    if await connection.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role):
        return
    owner = await connection.fetchrow(
        "SELECT rolname, rolcreaterole OR rolsuper AS may_create FROM pg_roles WHERE rolname = current_user"
    )
    if owner is None or not owner["may_create"]:
        who = owner["rolname"] if owner else "the migration role"
        raise RuntimeError(f"the database role {role!r} does not exist, and {who!r} may not create it")
    # another service may make it a moment before us
    with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        await connection.execute(
            f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION'
        )


async def grant_privileges(connection: Connection, role: str, schemas: Mapping[str, TablePrivileges]) -> None:
    """Make `role`'s privileges in each schema exactly what is declared: usage of the schema, the
    declared rows privileges per table (revoking any others), the sequences its inserts draw from.
    Serialised across services (concurrent GRANTs on one object fail in PostgreSQL)."""
    _check_role(role)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _GRANTS_LOCK)
        for schema, privileges in schemas.items():
            check_schema_name(schema)
            await connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            await connection.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
            for table in await _tables(connection, schema):
                granted = privileges.for_table(table)
                if granted:
                    await connection.execute(
                        f'GRANT {", ".join(sorted(granted))} ON "{schema}"."{table}" TO "{role}"'
                    )
            await connection.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')


async def _tables(connection: Connection, schema: str) -> Iterable[str]:
    rows = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema
    )
    return [row["tablename"] for row in rows]


def _check_role(role: str) -> None:
    if not _ROLE_NAME.match(role):
        raise ValueError(f"not a safe role name: {role!r}")


_GRANTS_LOCK = int.from_bytes(hashlib.sha256(b"homeward-grants").digest()[:8], "big", signed=True)
