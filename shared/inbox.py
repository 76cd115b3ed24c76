"""The inbox: a consumed event takes effect once (DESIGN rule 2).

Call `first_delivery` inside the transaction that applies the event's effect. It records
(consumer, event_id) and says whether this is the first time; on a redelivery the caller does
nothing and the transaction commits only the (unchanged) inbox row.

`apply_once` does that for one message; `apply_batch` for a batch, in one transaction, with each
poison message (`shared.poison`: one a rule names as never applicable) isolated: its effect is not
applied, its inbox row not kept, and the caller learns which it was so that it is dead-lettered alone
while the rest of the batch commits. Any other error rolls the whole batch back and propagates: the
consumer retries it, it never turns a good message into a dead letter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import structlog

from .db import Connection, Pool, transaction
from .events.envelope import Envelope, MalformedEvent, parse_envelope
from .metrics import EVENTS_APPLIED, EVENTS_REDELIVERED, topic_label
from .poison import is_poison

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
            first = False
        else:
            await apply(connection, envelope)
            first = True
    (EVENTS_APPLIED if first else EVENTS_REDELIVERED).labels(consumer, topic_label(topic)).inc()
    return envelope if first else None


ApplyMany = Callable[[Connection, list[Envelope]], Awaitable[None]]


@dataclass
class BatchOutcome:
    applied: int = 0
    redelivered: int = 0
    # index in the batch → why that message is to be dead-lettered (it had no effect)
    failures: dict[int, BaseException] = field(default_factory=dict)
    one_by_one: bool = False  # a message failed, so the batch was applied again message by message


async def apply_batch(
    pool: Pool, consumer: str, topic: str, raws: Sequence[bytes], apply: ApplyMany
) -> BatchOutcome:
    """Parse every message of `raws` and, in ONE transaction, record the fresh ones in the inbox
    and `apply` them in their order (a redelivered one, or a copy later in the same batch, is
    recorded once and not applied again).

    `apply(connection, envelopes)` must apply them in order and may raise. A poison error
    (`is_poison`) rolls the transaction back and the batch is applied again one message at a time,
    each in a savepoint, so that the poison message is rolled back alone, its inbox row dropped, and
    the others commit. Any other error — transient or not — rolls everything back and propagates:
    the caller retries the whole batch, which the inbox makes safe. Unparseable messages fail before
    any transaction. Returns what happened; the caller dead-letters `failures`.
    """
    outcome = BatchOutcome()
    parsed: list[tuple[int, Envelope]] = []
    for index, raw in enumerate(raws):
        try:
            parsed.append((index, parse_envelope(raw)))
        except MalformedEvent as error:
            outcome.failures[index] = error
    if not parsed:
        return outcome
    try:
        async with transaction(pool) as connection:
            todo = await _fresh(connection, consumer, topic, parsed, outcome)
            await apply(connection, [envelope for _, envelope in todo])
        outcome.applied = len(todo)
        _count(outcome, consumer, topic)
        return outcome
    except Exception as error:
        if not is_poison(error):
            raise
        log.info(
            "a message of the batch is poison; applying it message by message",
            consumer=consumer,
            error_type=type(error).__name__,
        )
    outcome.one_by_one, outcome.redelivered = True, 0
    async with transaction(pool) as connection:
        todo = await _fresh(connection, consumer, topic, parsed, outcome)
        failed: list[UUID] = []
        for index, envelope in todo:
            try:
                async with connection.transaction():  # a savepoint: a failure undoes this message only
                    await apply(connection, [envelope])
            except Exception as error:
                if not is_poison(error):
                    raise  # not this message's fault: the whole batch is retried
                outcome.failures[index] = error
                failed.append(envelope.event_id)
        if failed:
            # not processed: a later copy of the message (e.g. replayed from the DLQ) is fresh
            await connection.execute(
                "DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", consumer, failed
            )
    outcome.applied = len(todo) - len(failed)
    _count(outcome, consumer, topic)
    return outcome


def _count(outcome: BatchOutcome, consumer: str, topic: str) -> None:
    EVENTS_APPLIED.labels(consumer, topic_label(topic)).inc(outcome.applied)
    EVENTS_REDELIVERED.labels(consumer, topic_label(topic)).inc(outcome.redelivered)


async def _fresh(
    connection: Connection,
    consumer: str,
    topic: str,
    parsed: list[tuple[int, Envelope]],
    outcome: BatchOutcome,
) -> list[tuple[int, Envelope]]:
    """Record every parsed message in the inbox; the ones to apply: first deliveries, first copy."""
    fresh = await first_deliveries(connection, consumer, [(e.event_id, topic) for _, e in parsed])
    todo = []
    for index, envelope in parsed:
        if envelope.event_id in fresh:
            fresh.discard(envelope.event_id)
            todo.append((index, envelope))
    outcome.redelivered = len(parsed) - len(todo)
    if outcome.redelivered:
        log.info("redelivered events ignored", consumer=consumer, count=outcome.redelivered)
    return todo
