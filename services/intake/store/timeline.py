"""A case's timeline: its own changes (`case_changes`, written with the change) and what referral
and grants reported about it (`timeline_events`, written by the consumers)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.intake.core.decisions import Decision
from services.intake.core.timeline import Reported, Source, TimelineEntry
from shared.db import Connection, Pool


async def record_change(connection: Connection, decision: Decision, event_id: UUID | None) -> None:
    case = decision.case
    await record_line(
        connection, case.id, case.updated_at, decision.kind, decision.summary, case.updated_by, event_id
    )


async def record_line(
    connection: Connection,
    case_id: UUID,
    at: datetime,
    kind: str,
    summary: str,
    by: UUID | None,
    event_id: UUID | None,
) -> None:
    """A line of the case's own history (`by` None: the service itself, e.g. the retention job)."""
    await connection.execute(
        "INSERT INTO case_changes (case_id, occurred_at, kind, summary, recorded_by, event_id)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        case_id,
        at,
        kind,
        summary,
        by,
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


async def consumed_events(pool: Pool, case_id: UUID, *, withheld: bool = False) -> list[TimelineEntry]:
    """What referral and grants reported; `withheld`: as readers who may not see vulnerabilities
    read it (the withheld line, and only the entries they are shown)."""
    summary = "withheld_summary" if withheld else "summary"
    rows = await pool.fetch(
        f"SELECT occurred_at, source, type, {summary} AS summary, event_id FROM timeline_events"
        f" WHERE case_id = $1 AND {summary} IS NOT NULL ORDER BY occurred_at",
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


async def add_consumed_event(connection: Connection, reported: Reported, topic: str) -> None:
    entry = reported.entry
    await connection.execute(
        "INSERT INTO timeline_events (event_id, case_id, occurred_at, source, topic, type, summary,"
        " withheld_summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        entry.event_id,
        reported.case_id,
        entry.occurred_at,
        entry.source.value,
        topic,
        entry.type,
        entry.summary,
        reported.withheld_summary,
    )


async def erase_reported_words(connection: Connection, case_id: UUID) -> None:
    """An erased case keeps the withheld lines only: no partner's own words (free text) stay."""
    await connection.execute(
        "UPDATE timeline_events SET summary = coalesce(withheld_summary, type) WHERE case_id = $1", case_id
    )
