"""The access log every service keeps (`sql_access_log/`): appending rows, and reading them for the
data-protection officer. Rows are only ever added; the database refuses anything else.

Record an access in the same transaction as the write it describes, and before the answer of a read
leaves: an access that cannot be recorded fails (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Connection, Pool
from shared.identity.model import CaseLimit
from shared.privacy import Action, Actor, Purpose, purpose_for

# the table's migration: each service applies it after its own (see the file for why a folder)
ACCESS_LOG_MIGRATIONS = Path(__file__).parent / "sql_access_log"


@dataclass(frozen=True)
class CaseIndex:
    """Where a service finds each case's programme and assignment, so that the log is read within
    the reader's scope: `query` is a constant of the service's store (never built from input),
    returning one row per case with case_id, programme_id, assigned_to and office."""

    query: str


@dataclass(frozen=True)
class Scope:
    """The cases a reader of the log may see: those `cases` places within `programmes` (None: every
    programme) and, beyond them, `limit` (their office's or their own cases). A case the service's
    index does not know is nobody's (fails closed)."""

    cases: CaseIndex
    programmes: list[str] | None
    limit: CaseLimit


def _within(scope: Scope, first: int) -> str:
    """The condition that the log row `a` names a case within `scope` (parameters from `first`)."""
    p = [f"${first + i}" for i in range(4)]
    return (
        f"EXISTS (SELECT 1 FROM ({scope.cases.query}) c WHERE c.case_id = a.case_id"
        f" AND ({p[0]}::text[] IS NULL OR c.programme_id = ANY({p[0]}::text[]))"
        f" AND ({p[1]}::uuid IS NULL OR c.assigned_to = {p[1]}::uuid)"
        f" AND ({p[2]}::text IS NULL OR c.office = {p[2]}::text)) AND NOT {p[3]}::boolean"
    )


def _scope_values(scope: Scope) -> tuple[list[str] | None, UUID | None, str | None, bool]:
    return scope.programmes, scope.limit.assigned_to, scope.limit.office, scope.limit.matches_nothing


async def in_scope(db: Connection | Pool, scope: Scope, case_id: UUID) -> bool:
    """Whether the case is one the reader may see in this service."""
    found: bool | None = await db.fetchval(
        f"SELECT true FROM (SELECT $1::uuid AS case_id) a WHERE {_within(scope, 2)}",
        case_id,
        *_scope_values(scope),
    )
    return bool(found)


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: datetime
    actor_id: UUID | None
    actor: str
    role: str
    action: str
    case_id: UUID
    purpose: str


def record_statement(first: int) -> str:
    """`record`'s INSERT with its six parameters numbered from `first`, for a caller that writes
    its own rows and the log's in ONE statement (a data-modifying CTE): pass it `record_values`.
    A constant of this module: nothing in it comes from input."""
    p = [f"${first + i}" for i in range(6)]
    return (
        "INSERT INTO access_log (actor_id, actor, role, action, case_id, purpose)"
        f" SELECT {p[0]}, {p[1]}, {p[2]}, {p[3]}, c, {p[5]}"
        f" FROM unnest({p[4]}::uuid[]) WITH ORDINALITY AS u(c, n) ORDER BY n"
    )


def record_values(
    actor: Actor, action: Action, case_ids: Iterable[UUID], purpose: Purpose | None = None
) -> tuple[UUID | None, str, str, str, list[UUID], str]:
    """The six parameters of `record_statement`: one row per case (each once, in the order given),
    `purpose` derived from the actor's role and the action when not given."""
    why = purpose_for(actor.role, action, purpose)
    return actor.id, actor.name, actor.role, action.value, list(dict.fromkeys(case_ids)), why.value


async def record(
    db: Connection | Pool,
    actor: Actor,
    action: Action,
    case_ids: Iterable[UUID],
    purpose: Purpose | None = None,
) -> None:
    """One row per case (each once, in the order given): `actor` did `action` for `purpose`
    (derived from the actor's role and the action when not given)."""
    values = record_values(actor, action, case_ids, purpose)
    if not values[4]:
        return
    await db.execute(_RECORD, *values)


_RECORD = record_statement(1)


_COLUMNS = "id, at, actor_id, actor, role, action, case_id, purpose"


def _entry(row: asyncpg.Record) -> AccessEntry:
    return AccessEntry(**dict(row.items()))


async def for_case(db: Connection | Pool, case_id: UUID, *, limit: int = 1000) -> list[AccessEntry]:
    """The case's accesses, oldest first."""
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM access_log WHERE case_id = $1 ORDER BY id LIMIT $2", case_id, limit
    )
    return [_entry(row) for row in rows]


async def for_actor(
    db: Connection | Pool, actor_id: UUID, scope: Scope, *, after_id: int = 0, limit: int = 1000
) -> list[AccessEntry]:
    """What one user accessed, oldest first, after the entry `after_id`: only the cases within
    `scope` (the reader's), so another programme's cases never appear in it."""
    columns = ", ".join(f"a.{c}" for c in _COLUMNS.split(", "))
    rows = await db.fetch(
        f"SELECT {columns} FROM access_log a WHERE a.actor_id = $1 AND a.id > $2 AND {_within(scope, 4)}"
        " ORDER BY a.id LIMIT $3",
        actor_id,
        after_id,
        limit,
        *_scope_values(scope),
    )
    return [_entry(row) for row in rows]


def jsonable(entry: AccessEntry) -> dict[str, Any]:
    """An entry as JSON-ready values (a subject access export)."""
    return {
        key: value.isoformat()
        if isinstance(value, datetime)
        else str(value)
        if isinstance(value, UUID)
        else value
        for key, value in asdict(entry).items()
    }
