"""Recording what referral and grants report about a case on its timeline."""

from __future__ import annotations

from dataclasses import replace

from services.intake.core.errors import UnknownCase
from services.intake.core.timeline import Source, consumed_entry
from services.intake.store import arrivals, cases, timeline
from shared.db import Connection
from shared.events.codes import ARRIVAL_CATEGORIES
from shared.events.envelope import Envelope
from shared.events.referral import ReferralStatusChanged


async def record_reported_event(
    connection: Connection, envelope: Envelope, source: Source, topic: str
) -> None:
    """Add a consumed event to its case's timeline, in the caller's (the inbox's) transaction.
    Raises UnknownCase, a poison, for an event about a case intake never registered. An event
    that arrives after the case's personal data was erased (sent before, consumed after) is kept
    by its withheld line only, as erasure left the others (no partner's own words)."""
    reported = consumed_entry(envelope, source)
    erased = await cases.is_erased(connection, reported.case_id)
    if erased is None:
        raise UnknownCase(
            f"{envelope.type} {envelope.event_id} is about case {reported.case_id},"
            " which intake never registered"
        )
    if erased:
        kept = reported.withheld_summary or envelope.type
        reported = replace(reported, entry=reported.entry.model_copy(update={"summary": kept}))
    await timeline.add_consumed_event(connection, reported, topic)
    if envelope.type == ReferralStatusChanged.event_type and not erased:
        changed = envelope.event_as(ReferralStatusChanged)
        if changed.category in ARRIVAL_CATEGORIES:
            # the reception page shows each expected family's reception and transport status
            await arrivals.record_service_status(
                connection, changed.case_id, changed.category, changed.status, envelope.occurred_at
            )
