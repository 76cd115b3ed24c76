"""Every event grants publishes goes through here: into the outbox, in the caller's transaction."""

from __future__ import annotations

from uuid import UUID

from shared import outbox
from shared.db import Connection
from shared.events.envelope import Envelope, new_envelope
from shared.events.grants import GrantEvent

from .context import PRODUCER, GrantsContext


async def emit(
    connection: Connection,
    context: GrantsContext,
    event: GrantEvent,
    *,
    correlation_id: UUID,
    causation: Envelope | None = None,
) -> None:
    """Queue `event` on grants.installments.v1, keyed by case id. A grant's events all carry the
    correlation id of the plan approval that started it."""
    envelope = new_envelope(
        event, key=event.case_id, producer=PRODUCER, causation=causation, correlation_id=correlation_id
    )
    await outbox.append(connection, context.topics.grants_installments, envelope)
