"""Recording what referral and grants report about a case on its timeline."""

from __future__ import annotations

from services.intake.core.errors import UnknownCase
from services.intake.core.timeline import Source, consumed_entry
from services.intake.store import cases, timeline
from shared.db import Connection
from shared.events.envelope import Envelope


async def record_reported_event(
    connection: Connection, envelope: Envelope, source: Source, topic: str
) -> None:
    """Add a consumed event to its case's timeline, in the caller's (the inbox's) transaction.
    Raises UnknownCase, a poison, for an event about a case intake never registered."""
    reported = consumed_entry(envelope, source)
    if not await cases.case_exists(connection, reported.case_id):
        raise UnknownCase(
            f"{envelope.type} {envelope.event_id} is about case {reported.case_id},"
            " which intake never registered"
        )
    await timeline.add_consumed_event(connection, reported, topic)
