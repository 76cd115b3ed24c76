"""What every command that changes a case stores beside it: the case's history line and its
event's outbox row, in the command's transaction (DESIGN rules 1 and 4)."""

from __future__ import annotations

import structlog

from services.intake.core.decisions import Decision
from services.intake.store import timeline
from services.intake.use_cases.context import IntakeContext
from shared import outbox
from shared.db import Connection
from shared.events import new_envelope

PRODUCER = "intake"
log = structlog.get_logger("intake.use_cases")


async def record_decision(connection: Connection, context: IntakeContext, decision: Decision) -> None:
    """The case's history line and its event's outbox row, in the caller's transaction."""
    event_id = None
    if decision.event is not None:
        envelope = new_envelope(decision.event, key=decision.case.id, producer=PRODUCER)
        await outbox.append(connection, context.topics.returnees, envelope)
        event_id = envelope.event_id
    await timeline.record_change(connection, decision, event_id)
    log.info("case changed", case_id=str(decision.case.id), change=decision.kind, event_id=str(event_id))
