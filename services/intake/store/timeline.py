"""A case's timeline: its own changes (`case_changes`, written with the change) and what referral
and grants reported about it (`timeline_events`, written by the consumers)."""

from __future__ import annotations

from uuid import UUID

from services.intake.core.decisions import Decision
from services.intake.core.timeline import Source, TimelineEntry
from shared.db import Connection, Pool


async def record_change(connection: Connection, decision: Decision, event_id: UUID | None) -> None:
    await connection.execute(
        "INSERT INTO case_changes (case_id, occurred_at, kind, summary, recorded_by, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        decision.case.id,
        decision.case.updated_at,
        decision.kind,
        decision.summary,
        decision.case.updated_by,
        event_id,
    )


async def own_changes(pool: Pool, case_id: UUID) -> list[TimelineEntry]:
    rows = await pool.fetch(
        "SELECT occurred_at, kind, summary, recorded_by, event_id FROM case_changes"
        " WHERE case_id = $1 ORDER BY id",
        case_id,
    )
    return [
        TimelineEntry(
            occurred_at=r["occurred_at"],
            source=Source.INTAKE,
            type=r["kind"],
            summary=r["summary"],
            recorded_by=r["recorded_by"],
            event_id=r["event_id"],
        )
        for r in rows
    ]


async def consumed_events(pool: Pool, case_id: UUID) -> list[TimelineEntry]:
    rows = await pool.fetch(
        "SELECT occurred_at, source, type, summary, event_id FROM timeline_events WHERE case_id = $1"
        " ORDER BY occurred_at",
        case_id,
    )
    return [
        TimelineEntry(
            occurred_at=r["occurred_at"],
            source=Source(r["source"]),
            type=r["type"],
            summary=r["summary"],
            event_id=r["event_id"],
        )
        for r in rows
    ]


async def add_consumed_event(connection: Connection, case_id: UUID, entry: TimelineEntry, topic: str) -> None:
    await connection.execute(
        "INSERT INTO timeline_events (event_id, case_id, occurred_at, source, topic, type, summary)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        entry.event_id,
        case_id,
        entry.occurred_at,
        entry.source.value,
        topic,
        entry.type,
        entry.summary,
    )
