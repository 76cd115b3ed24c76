"""asyncpg pools bound to one service schema, plain-SQL migrations, and a transaction helper.

Each service owns one schema (DESIGN rule 8). Its pool sets `search_path` to that schema, so the
service's SQL never names a schema and tests can run a service in a schema of their own.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg

from .transient import TransientError

SHARED_MIGRATIONS = Path(__file__).parent / "sql"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)


def check_schema_name(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a safe schema name: {schema!r}")
    return schema


async def _init_connection(connection: Connection) -> None:
    # jsonb in and out as Python objects; the codec is per connection
    import json

    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await connection.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class Overloaded(TransientError):
    """No database connection came free within the pool's deadline: the service is busier than it
    can serve. Nothing was done; the same work succeeds later (an HTTP request is answered 503 with
    Retry-After, `shared.http.overload`)."""


# Whether the work of this context waits for a connection at most the pool's deadline: set for each
# HTTP request (`shared.http.overload`), whose caller is waiting and may be told to come back. The
# outbox relay, consumers and jobs keep their place in the pool's queue however long it is: giving
# up would only delay the events of requests already accepted.
bounded_waits: ContextVar[bool] = ContextVar("bounded_waits", default=False)


class DeadlinePool(asyncpg.Pool):
    """An asyncpg pool whose every acquire in a `bounded_waits` context — `transaction()`,
    `pool.acquire()` and the pool's own `fetch`/`execute`/`fetchval`… — waits at most
    `acquire_deadline_s` for a connection, then raises `Overloaded`. Without it a request queues for
    the pool without end while its caller times out.

    The deadline is applied around asyncpg's own acquire rather than passed as its `timeout`:
    asyncpg would reuse that timeout for the connection's reset on release, which must not fail a
    transaction that has already committed."""

    acquire_deadline_s: float | None = None

    async def _acquire(self, timeout: float | None) -> Any:
        deadline = self.acquire_deadline_s
        # an explicit timeout is the caller's to handle
        if timeout is not None or deadline is None or not bounded_waits.get():
            return await super()._acquire(timeout)  # type: ignore[misc]
        try:
            async with asyncio.timeout(deadline) as waited:
                return await super()._acquire(None)  # type: ignore[misc]
        except TimeoutError as error:
            if waited.expired():
                waited_ms = f"{deadline * 1000:.0f}"
                raise Overloaded(f"no database connection came free within {waited_ms} ms") from error
            raise


async def _keep_session(connection: Connection) -> None:
    """What a connection taken back by the pool needs beyond asyncpg's own rollback of an open
    transaction: nothing. asyncpg's default reset is one more round trip per release (unlock every
    advisory lock, close cursors, UNLISTEN, RESET ALL), and none of that state outlives a use
    here: no SET, no cursor, no temporary table; the transaction-scoped advisory locks end with
    their transaction; the one session lock and LISTEN (the outbox relay's leadership) are undone
    by the relay, which closes its connection when it cannot undo them."""


async def create_pool(
    dsn: str,
    schema: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    acquire_deadline_s: float | None = None,
) -> Pool:
    """`acquire_deadline_s`: how long a use of the pool in a `bounded_waits` context (an HTTP
    request) waits for a free connection before it raises `Overloaded` (None: as long as it takes)."""
    check_schema_name(schema)
    pool = DeadlinePool(
        dsn,
        # asyncpg.create_pool's defaults: it builds its own class only, so they are spelled here
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": f"{schema},public", "application_name": f"homeward-{schema}"},
    )
    pool.acquire_deadline_s = acquire_deadline_s
    await pool
    return pool


@asynccontextmanager
async def transaction(pool: Pool) -> AsyncIterator[Connection]:
    """One connection, one transaction: committed when the block ends, rolled back if it raises."""
    async with pool.acquire() as connection, connection.transaction():
        yield connection


def migration_files(folders: Sequence[Path]) -> list[tuple[str, Path]]:
    """(version, path) for every `NNNN_name.sql`, shared ones first, each folder in name order."""
    found: list[tuple[str, Path]] = []
    for folder in folders:
        for path in sorted(folder.glob("*.sql")):
            found.append((f"{folder.name}/{path.name}", path))
    return found


async def migrate(
    dsn: str, schema: str, folders: Sequence[Path], *, include_shared: bool = True
) -> list[str]:
    """Create `schema` if needed and apply every migration not yet recorded, each in its own
    transaction. Concurrent starters serialise on an advisory lock. Returns the versions applied."""
    check_schema_name(schema)
    all_folders = [SHARED_MIGRATIONS, *folders] if include_shared else list(folders)
    applied: list[str] = []
    connection: Connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        lock_key = int.from_bytes(
            hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True
        )
        await connection.execute("SELECT pg_advisory_lock($1)", lock_key)
        try:
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done: dict[str, str] = {
                row["version"]: row["checksum"]
                for row in await connection.fetch("SELECT version, checksum FROM schema_migrations")
            }
            for version, path in migration_files(all_folders):
                sql = path.read_text()
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if version in done:
                    if done[version] != checksum:
                        raise RuntimeError(f"migration {version} changed after it was applied; add a new one")
                    continue
                async with connection.transaction():
                    await connection.execute(sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", version, checksum
                    )
                applied.append(version)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", lock_key)
    finally:
        await connection.close()
    return applied


async def drop_schema(dsn: str, schema: str) -> None:
    check_schema_name(schema)
    connection: Connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


def record_to_dict(record: Any) -> dict[str, Any]:
    return dict(record.items())
