"""The outbox table's SQL for the relay and for operators, returning typed rows.

A row is waiting until it is sent (`sent_at`). One the broker refuses for a reason of its own
(unknown topic, too large, not authorised) counts a failed try (`attempts`, `last_error`); from its
first failure it holds back the later rows of its key, so a case's events never overtake each
other; after the relay's limit of tries it is parked (`parked_at`) and stays so until an operator
re-queues it (`homeward outbox requeue`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db import Connection, Pool


@dataclass(frozen=True)
class OutboxRow:
    """A row as the relay publishes it."""

    id: int
    event_id: UUID
    topic: str
    key: str
    headers: dict[str, str]
    payload: bytes
    attempts: int


@dataclass(frozen=True)
class ParkedRow:
    """A row the relay gave up on, and why."""

    id: int
    event_id: UUID
    topic: str
    key: str
    attempts: int
    reason: str
    created_at: datetime
    parked_at: datetime


@dataclass(frozen=True)
class Backlog:
    waiting: int  # rows to publish, parked ones not counted
    oldest_waiting_s: float  # age of the oldest of them (0: none)
    parked: int


# Waiting rows in insertion order, past any row whose key has an earlier row in trouble (failed at
# least once and not sent since): a case's later events wait behind its failing or parked one.
_NEXT_ROWS = """
SELECT o.id, o.event_id, o.topic, o.key, o.headers, o.payload, o.attempts
FROM outbox o
WHERE o.sent_at IS NULL AND o.parked_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM outbox t
      WHERE t.sent_at IS NULL AND t.attempts > 0 AND t.key = o.key AND t.id < o.id
  )
ORDER BY o.id
LIMIT $1
FOR UPDATE OF o
"""


async def next_rows(connection: Connection, limit: int) -> list[OutboxRow]:
    """Up to `limit` rows to publish next, locked until the caller's transaction ends. Without
    SKIP LOCKED: a row someone else holds is waited for, never overtaken."""
    return [
        OutboxRow(
            id=row["id"],
            event_id=row["event_id"],
            topic=row["topic"],
            key=row["key"],
            # written as text by `append_many`: taken as they are
            headers=_json(row["headers"]),
            payload=bytes(row["payload"]),
            attempts=row["attempts"],
        )
        for row in await connection.fetch(_NEXT_ROWS, limit)
    ]


async def mark_sent(connection: Connection, ids: Sequence[int]) -> None:
    if ids:
        await connection.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", list(ids))


async def record_failures(
    connection: Connection, reasons: Mapping[int, str], max_attempts: int
) -> list[ParkedRow]:
    """Count a failed try for each row (`id -> reason`); return the rows this parked (their
    `max_attempts`-th failure)."""
    if not reasons:
        return []
    rows = await connection.fetch(
        "UPDATE outbox o SET attempts = o.attempts + 1, last_error = f.reason,"
        " parked_at = CASE WHEN o.attempts + 1 >= $3 THEN now() END"
        " FROM unnest($1::bigint[], $2::text[]) AS f(id, reason)"
        " WHERE o.id = f.id"
        " RETURNING o.id, o.event_id, o.topic, o.key, o.attempts, o.last_error, o.created_at, o.parked_at",
        list(reasons),
        list(reasons.values()),
        max_attempts,
    )
    return [_parked(row) for row in rows if row["parked_at"] is not None]


async def backlog(connection: Connection) -> Backlog:
    row = await connection.fetchrow(
        "SELECT count(*) FILTER (WHERE parked_at IS NULL) AS waiting,"
        " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)), 0)"
        "   AS oldest_waiting_s,"
        " count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked"
        " FROM outbox WHERE sent_at IS NULL"
    )
    if row is None:  # an aggregate always answers one row; this only narrows the type
        return Backlog(0, 0.0, 0)
    return Backlog(int(row["waiting"]), max(0.0, float(row["oldest_waiting_s"])), int(row["parked"]))


async def parked_rows(connection: Connection) -> list[ParkedRow]:
    rows = await connection.fetch(
        "SELECT id, event_id, topic, key, attempts, last_error, created_at, parked_at FROM outbox"
        " WHERE parked_at IS NOT NULL AND sent_at IS NULL ORDER BY id"
    )
    return [_parked(row) for row in rows]


async def requeue(connection: Connection, ids: Sequence[int] | None = None) -> list[int]:
    """Give parked rows (all of them, or those of `ids`) a fresh set of tries and wake the relay;
    returns the ids re-queued. Their last error is kept until they are sent."""
    rows = await connection.fetch(
        "UPDATE outbox SET parked_at = NULL, attempts = 0"
        " WHERE parked_at IS NOT NULL AND sent_at IS NULL"
        " AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))"
        " RETURNING id",
        list(ids) if ids is not None else None,
    )
    if rows:
        await connection.execute("SELECT pg_notify('outbox_' || current_schema(), '')")
    return sorted(row["id"] for row in rows)


def _parked(row: Any) -> ParkedRow:
    return ParkedRow(
        id=row["id"],
        event_id=row["event_id"],
        topic=row["topic"],
        key=row["key"],
        attempts=row["attempts"],
        reason=row["last_error"] or "",
        created_at=row["created_at"],
        parked_at=row["parked_at"],
    )


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return dict(json.loads(value))
    return dict(value or {})


async def forget_sent(connection: Connection, keys: Sequence[str]) -> int:
    """Delete the sent rows of these keys (a case whose personal data is erased: what was
    published about it need not wait for retention pruning). Unsent rows stay: they are the
    events still to be told, the erasure's own among them. Returns how many went."""
    if not keys:
        return 0
    status = await connection.execute(
        "DELETE FROM outbox WHERE key = ANY($1::text[]) AND sent_at IS NOT NULL", list(keys)
    )
    return int(status.rsplit(" ", 1)[-1])


async def events_of_key(connection: Connection | Pool, key: str) -> list[dict[str, Any]]:
    """Every row still held for `key` (a case), oldest first, as JSON-ready data: its topic, when
    it was sent (None: not yet) and the event itself (a subject access export)."""
    rows = await connection.fetch(
        "SELECT topic, created_at, sent_at, payload FROM outbox WHERE key = $1 ORDER BY id", key
    )
    return [
        {
            "topic": row["topic"],
            "created_at": row["created_at"].isoformat(),
            "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
            "event": json.loads(bytes(row["payload"])),
        }
        for row in rows
    ]
