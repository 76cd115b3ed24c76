"""What every command that changes a case stores beside it: the case's history line and its
event's outbox row, in the command's transaction (DESIGN rules 1 and 4)."""

from __future__ import annotations

from uuid import UUID

import structlog

from services.intake.core.decisions import Decision
from services.intake.store import cases, timeline
from services.intake.use_cases.context import IntakeContext
from shared import outbox
from shared.db import Connection
from shared.events import new_envelope
from shared.privacy import Action, Actor

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
    _changed(decision, event_id)


async def record_new_case(
    connection: Connection, context: IntakeContext, decision: Decision, actor: Actor, action: Action
) -> None:
    """A new case (registered or announced) with what `record_decision` stores beside it and the
    access log's row of `actor`'s `action`, all in one statement (store.cases.insert_new)."""
    if decision.event is None:  # a new case always announces itself
        raise ValueError(f"a new case without its event: {decision.kind}")
    envelope = new_envelope(decision.event, key=decision.case.id, producer=PRODUCER)
    await cases.insert_new(
        connection,
        decision.case,
        (decision.kind, decision.summary),
        (context.topics.returnees, envelope),
        (actor, action),
    )
    _changed(decision, envelope.event_id)


def _changed(decision: Decision, event_id: UUID | None) -> None:
    log.info("case changed", case_id=str(decision.case.id), change=decision.kind, event_id=str(event_id))
