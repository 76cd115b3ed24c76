"""The inbox: a consumed event takes effect once (DESIGN rule 2).

Call `first_delivery` inside the transaction that applies the event's effect. It records
(consumer, event_id) and says whether this is the first time; on a redelivery the caller does
nothing and the transaction commits only the (unchanged) inbox row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import structlog

from .db import Connection, Pool, transaction
from .events.envelope import Envelope, parse_envelope

log = structlog.get_logger("shared.inbox")


async def first_delivery(connection: Connection, consumer: str, event_id: UUID, topic: str) -> bool:
    inserted = await connection.fetchval(
        "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3)"
        " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING true",
        consumer,
        event_id,
        topic,
    )
    return bool(inserted)


async def first_deliveries(
    connection: Connection, consumer: str, events: list[tuple[UUID, str]]
) -> set[UUID]:
    """Batch form: records every (event_id, topic) and returns the ids seen for the first time."""
    rows = await connection.fetch(
        "INSERT INTO inbox (consumer, event_id, topic)"
        " SELECT $1, e.event_id, e.topic FROM unnest($2::uuid[], $3::text[]) AS e(event_id, topic)"
        " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
        consumer,
        [e[0] for e in events],
        [e[1] for e in events],
    )
    return {row["event_id"] for row in rows}


Apply = Callable[[Connection, Envelope], Awaitable[None]]


async def apply_once(pool: Pool, consumer: str, topic: str, raw: bytes, apply: Apply) -> Envelope | None:
    """Parse `raw`, and in ONE transaction record it in the inbox and `apply` its effect.

    Returns the envelope, or None when it was a redelivery (nothing applied). A malformed message
    raises MalformedEvent before any transaction starts: the consumer's middleware dead-letters it.
    """
    envelope = parse_envelope(raw)
    async with transaction(pool) as connection:
        if not await first_delivery(connection, consumer, envelope.event_id, topic):
            log.info("redelivered event ignored", consumer=consumer, event_id=str(envelope.event_id))
            return None
        await apply(connection, envelope)
    return envelope
