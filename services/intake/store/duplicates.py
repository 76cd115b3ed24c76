"""The people duplicate detection compares: found by the blocking keys they share with someone
(the GIN index over `case_people.match_keys`), never by reading every case; and the pairs a
caseworker said are different people.

The keys are computed from core/matching.py's normal forms: a change to those (`latin`,
`blocking_keys`) needs a migration that sets `match_keys` to NULL, so that intake keys every
person again at start (`index_unkeyed`); until then the old keys would miss new spellings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.intake.core.matching import blocking_keys, person_of
from services.intake.core.requests import Member
from shared.db import Connection, Pool


@dataclass(frozen=True)
class StoredPerson:
    """A person in a stored case, with what decides whether the reader may see that case."""

    case_id: UUID
    position: int
    programme_id: str
    assigned_to: UUID | None
    office: str | None
    member: Member


def people_keys(programme_id: str, members: Sequence[Member]) -> list[list[str]]:
    return [blocking_keys(person_of(m), programme_id) for m in members]


async def lock_keys(connection: Connection, keys: Iterable[str]) -> None:
    """Hold a lock per key until the transaction ends, so that two concurrent registrations of one
    person (who share a key) do not both pass the check. In one order (unnest keeps the array's):
    no deadlock. All in one statement, and one of its own: the check that follows must read
    after the locks are held (a statement reads what was committed when it began)."""
    await connection.execute(
        "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k",
        sorted({_lock_of(key) for key in keys}),
    )


def _lock_of(key: str) -> int:
    digest = hashlib.sha256(f"intake-person:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def people_sharing(
    connection: Connection | Pool, keys: Sequence[str], *, besides: UUID | None = None
) -> list[StoredPerson]:
    """People (of cases neither erased nor merged into another) who share a key with `keys`,
    except those in case `besides` and in cases recorded as different people from it."""
    rows = await connection.fetch(
        "SELECT p.case_id, p.position, c.programme_id, c.assigned_to, c.office,"
        " c.document -> 'members' -> p.position AS member"
        " FROM case_people p JOIN cases c ON c.id = p.case_id"
        " WHERE p.match_keys && $1::text[] AND c.erased_at IS NULL"
        " AND c.document ->> 'merged_into' IS NULL"  # a merged announcement is its case now
        " AND ($2::uuid IS NULL OR (p.case_id <> $2 AND NOT EXISTS ("
        "   SELECT 1 FROM distinct_people d WHERE (d.case_id, d.other_case_id)"
        "   IN ((least($2, p.case_id), greatest($2, p.case_id))))))"
        " ORDER BY p.case_id, p.position",
        list(keys),
        besides,
    )
    return [
        StoredPerson(
            case_id=row["case_id"],
            position=row["position"],
            programme_id=row["programme_id"],
            assigned_to=row["assigned_to"],
            office=row["office"],
            member=Member.model_validate(row["member"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class DistinctPair:
    case_id: UUID
    other_case_id: UUID
    recorded_by: UUID
    recorded_at: datetime


async def record_distinct(
    connection: Connection, case_id: UUID, others: Iterable[UUID], user_id: UUID, at: datetime
) -> None:
    """Record that the people of `case_id` are not those of each of `others` (a pair recorded
    earlier keeps who said it first, and when)."""
    pairs = sorted({(min(case_id, o), max(case_id, o)) for o in others if o != case_id})
    await connection.executemany(
        "INSERT INTO distinct_people (case_id, other_case_id, recorded_by, recorded_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [(a, b, user_id, at) for a, b in pairs],
    )


async def distinct_from(connection: Connection | Pool, case_id: UUID) -> list[DistinctPair]:
    """The pairs recorded for `case_id`, as seen from it (`other_case_id` the other case)."""
    rows = await connection.fetch(
        "SELECT case_id, other_case_id, recorded_by, recorded_at FROM distinct_people"
        " WHERE case_id = $1 OR other_case_id = $1 ORDER BY recorded_at",
        case_id,
    )
    return [
        DistinctPair(
            case_id=case_id,
            other_case_id=row["other_case_id"] if row["case_id"] == case_id else row["case_id"],
            recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"],
        )
        for row in rows
    ]


# --- people stored before the keys (migration 0250) -----------------------------------------------


async def index_unkeyed(connection: Connection, limit: int) -> int:
    """Fill the matching keys of up to `limit` people stored without them; how many were filled."""
    rows = await connection.fetch(
        "SELECT p.case_id, p.position, c.programme_id, c.document -> 'members' -> p.position AS member"
        " FROM case_people p JOIN cases c ON c.id = p.case_id"
        " WHERE p.match_keys IS NULL AND c.erased_at IS NULL LIMIT $1 FOR UPDATE OF p SKIP LOCKED",
        limit,
    )
    await connection.executemany(
        "UPDATE case_people SET match_keys = $3 WHERE case_id = $1 AND position = $2",
        [
            (
                row["case_id"],
                row["position"],
                blocking_keys(person_of(Member.model_validate(row["member"])), row["programme_id"]),
            )
            for row in rows
        ],
    )
    return len(rows)
