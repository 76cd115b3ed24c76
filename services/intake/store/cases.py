"""The cases: one JSON document per case beside the columns it is searched by, the people in it
(for duplicate detection), and the registration's idempotency keys.

A case whose personal data was erased keeps its row: the document is then an ErasedCase and
`erased_at` is set. `load_case` (what commands change) never returns one; reads get either."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg

from services.intake.core.case import Case, CaseStatus, ErasedCase
from services.intake.core.people import name_key
from services.intake.store.duplicates import people_keys
from shared import access_log, outbox
from shared.access_log import CaseIndex
from shared.db import Connection, Pool
from shared.events import Envelope
from shared.identity.model import CaseLimit
from shared.privacy import Action, Actor
from shared.topics import TopicSpec

# each case's programme and assignment, for reading the access log within the reader's scope (an
# erased case keeps all three)
ACCESS_LOG_CASES = CaseIndex("SELECT id AS case_id, programme_id, assigned_to, office FROM cases")


def _search_text(case: Case) -> str:
    parts = [name_key(m.name) for m in case.members]
    parts += [m.identity_document.number.casefold() for m in case.members if m.identity_document]
    return " | ".join(parts)


def _document(case: Case) -> dict[str, object]:
    return case.model_dump(mode="json")


_INSERT_CASE = (
    "INSERT INTO cases (id, programme_id, municipality, status, search_text, document,"
    " registered_by, registered_at, updated_by, updated_at, assigned_to, office, expected_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)


def _case_values(case: Case) -> tuple[object, ...]:
    """`_INSERT_CASE`'s thirteen parameters."""
    return (
        case.id,
        case.programme_id,
        case.municipality,
        case.status.value,
        _search_text(case),
        _document(case),
        case.registered_by,
        case.registered_at,
        case.updated_by,
        case.updated_at,
        case.assigned_to,
        case.office,
        _expected_at(case),
    )


def _people_statement(case_id: int, programme_id: int, people: int) -> str:
    """The INSERT of a case's people (duplicate detection) from the parameters numbered `case_id`,
    `programme_id` and `people` (`_people_of`: one JSON array, in household order)."""
    return (
        "INSERT INTO case_people (case_id, position, programme_id, name_key, date_of_birth, match_keys)"
        f" SELECT ${case_id}, (p.n - 1)::integer, ${programme_id}, p.person ->> 'name_key',"
        " (p.person ->> 'born')::date, ARRAY(SELECT jsonb_array_elements_text(p.person -> 'keys'))"
        f" FROM jsonb_array_elements(${people}::jsonb) WITH ORDINALITY AS p(person, n)"
    )


def _people_of(case: Case) -> list[dict[str, object]]:
    return [
        {"name_key": name_key(m.name), "born": m.date_of_birth.isoformat(), "keys": keys}
        for m, keys in zip(case.members, people_keys(case.programme_id, case.members), strict=True)
    ]


_INSERT_PEOPLE = _people_statement(1, 2, 3)


async def _insert_people(connection: Connection, case: Case) -> None:
    await connection.execute(_INSERT_PEOPLE, case.id, case.programme_id, _people_of(case))


# A new case's rows in ONE statement (issue 16): the case, its people, its history line, the
# access log's row and the event's outbox row — one round trip instead of five. Sibling CTEs do
# not see each other's rows, and need not: the foreign keys are checked when the statement ends.
_REGISTER = (
    f"WITH new_case AS ({_INSERT_CASE}),"
    f" people AS ({_people_statement(1, 2, 14)}),"
    " line AS (INSERT INTO case_changes (case_id, occurred_at, kind, summary, recorded_by, event_id)"
    " VALUES ($1, $10, $15, $16, $9, $17)),"
    f" accessed AS ({access_log.record_statement(18)}) " + outbox.append_statement(24)
)


async def insert_new(
    connection: Connection,
    case: Case,
    change: tuple[str, str],
    event: tuple[TopicSpec, Envelope],
    accessed: tuple[Actor, Action],
) -> None:
    """A new case (a registration is never closed: closed_at stays empty until update_case closes
    it) and its people, with its history line (`change`: kind and summary), the outbox row of its
    `event` and the access log's row — in the caller's transaction."""
    topic, envelope = event
    await connection.execute(
        _REGISTER,
        *_case_values(case),
        _people_of(case),
        *change,
        envelope.event_id,
        *access_log.record_values(accessed[0], accessed[1], [case.id]),
        *outbox.append_values([(topic, envelope)]),
    )


async def replace_people(connection: Connection, case: Case) -> None:
    """After a household edit: the case's people (duplicate detection) and search text as the
    household is now; a member removed is no longer found by name or document."""
    await connection.execute("DELETE FROM case_people WHERE case_id = $1", case.id)
    await _insert_people(connection, case)
    await connection.execute("UPDATE cases SET search_text = $2 WHERE id = $1", case.id, _search_text(case))


async def update_case(connection: Connection, case: Case) -> None:
    await connection.execute(
        "UPDATE cases SET status = $2, document = $3, updated_by = $4, updated_at = $5, closed_at = $6,"
        " assigned_to = $7, office = $8, expected_at = $9 WHERE id = $1",
        case.id,
        case.status.value,
        _document(case),
        case.updated_by,
        case.updated_at,
        case.ended_at(),
        case.assigned_to,
        case.office,
        _expected_at(case),
    )


def _expected_at(case: Case) -> datetime | None:
    if case.status is CaseStatus.EXPECTED and case.arrival is not None:
        return case.arrival.scheduled_at
    return None


async def load_case(connection: Connection | Pool, case_id: UUID, *, for_update: bool = False) -> Case | None:
    """The case, unless it does not exist or its personal data was erased."""
    row = await connection.fetchrow(
        "SELECT document FROM cases WHERE id = $1 AND erased_at IS NULL"
        + (" FOR UPDATE" if for_update else ""),
        case_id,
    )
    return Case.model_validate(row["document"]) if row else None


def _stored(row: asyncpg.Record) -> Case | ErasedCase:
    model = ErasedCase if row["erased_at"] is not None else Case
    return model.model_validate(row["document"])


async def read_case(connection: Connection | Pool, case_id: UUID) -> Case | ErasedCase | None:
    """The case as it is stored: a Case, or an ErasedCase once its personal data is gone."""
    row = await connection.fetchrow("SELECT document, erased_at FROM cases WHERE id = $1", case_id)
    return _stored(row) if row else None


async def erase_case(connection: Connection, erased: ErasedCase) -> None:
    """Replace the case's document by what stays of it, and drop what else named the people in it:
    their name keys and dates of birth (duplicate detection), the search text, the registration's
    idempotency keys (the hash of a body that held names)."""
    await connection.execute(
        "UPDATE cases SET status = $2, document = $3, search_text = '', erased_at = $4,"
        " closed_at = coalesce(closed_at, $4) WHERE id = $1",
        erased.id,
        erased.status.value,
        erased.model_dump(mode="json"),
        erased.erasure.erased_at,
    )
    await connection.execute("DELETE FROM case_people WHERE case_id = $1", erased.id)
    await connection.execute("DELETE FROM idempotency_keys WHERE case_id = $1", erased.id)


async def due_for_erasure(
    connection: Connection | Pool, periods: Mapping[str, int], now: datetime, limit: int
) -> list[UUID]:
    """Closed cases, not erased yet, whose programme's period (days after closure) is over at
    `now`; oldest closure first. A programme not in `periods` has none of its cases listed."""
    rows = await connection.fetch(
        "SELECT c.id FROM cases c JOIN unnest($1::text[], $2::int[]) AS p(programme_id, days)"
        " ON p.programme_id = c.programme_id"
        " WHERE c.closed_at IS NOT NULL AND c.erased_at IS NULL"
        " AND c.closed_at + make_interval(days => p.days) <= $3"
        " ORDER BY c.closed_at, c.id LIMIT $4",
        list(periods),
        list(periods.values()),
        now,
        limit,
    )
    return [row["id"] for row in rows]


async def is_erased(connection: Connection, case_id: UUID) -> bool | None:
    """Whether the case's personal data was erased; None for a case intake does not know."""
    erased: bool | None = await connection.fetchval(
        "SELECT erased_at IS NOT NULL FROM cases WHERE id = $1", case_id
    )
    return erased


# --- registration: idempotency keys -------------------------------------------------------------


@dataclass(frozen=True)
class EarlierRequest:
    """The request that claimed an idempotency key first."""

    request_hash: str
    case_id: UUID


async def claim_idempotency_key(
    connection: Connection, user_id: UUID, key: str, request_hash: str, case_id: UUID
) -> EarlierRequest | None:
    """Claim `key` for this request; None when claimed, else the request that claimed it first. A
    concurrent claim waits for the first one's transaction."""
    claimed = await connection.fetchval(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, case_id) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (user_id, key) DO NOTHING RETURNING true",
        user_id,
        key,
        request_hash,
        case_id,
    )
    if claimed:
        return None
    row = await connection.fetchrow(
        "SELECT request_hash, case_id FROM idempotency_keys WHERE user_id = $1 AND key = $2", user_id, key
    )
    if row is None:  # nothing deletes keys: the conflicting row is committed and visible here
        raise LookupError(f"idempotency key {key!r} conflicted but cannot be read")
    return EarlierRequest(request_hash=row["request_hash"], case_id=row["case_id"])


# --- searching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilter:
    programme: str | None = None
    municipality: str | None = None
    status: CaseStatus | None = None
    q: str | None = None  # a name, a document number or the start of a case id
    match_people: bool = True  # False: q matches case ids only
    # the reader's programmes: none unless given (fails closed); None: every programme (admins)
    programmes: list[str] | None = field(default_factory=list)
    # the reader's own or office's cases only, where they are limited to those
    case_limit: CaseLimit = field(default_factory=CaseLimit)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_cases(
    pool: Pool, where: CaseFilter, limit: int, before: UUID | None
) -> tuple[list[Case | ErasedCase], UUID | None]:
    """Newest first, `limit` at a time; the second value is the cursor of the next page."""
    q = name_key(where.q) if where.q else None
    rows = await pool.fetch(
        "SELECT document, erased_at FROM cases"
        " WHERE ($1::text IS NULL OR programme_id = $1)"
        " AND ($2::text IS NULL OR municipality = $2)"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::text IS NULL OR ($7 AND search_text LIKE '%' || $4 || '%') OR id::text LIKE $4 || '%')"
        " AND ($5::uuid IS NULL OR id < $5)"
        " AND ($8::text[] IS NULL OR programme_id = ANY($8))"
        " AND ($9::uuid IS NULL OR assigned_to = $9) AND ($10::text IS NULL OR office = $10) AND NOT $11"
        " ORDER BY id DESC LIMIT $6",
        where.programme,
        where.municipality,
        where.status.value if where.status else None,
        _like(q) if q else None,
        before,
        limit + 1,
        where.match_people,
        where.programmes,
        where.case_limit.assigned_to,
        where.case_limit.office,
        where.case_limit.matches_nothing,
    )
    cases = [_stored(row) for row in rows[:limit]]
    return cases, (cases[-1].id if len(rows) > limit else None)
