"""Queueing events in the caller's transaction: they are published only if it commits."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from shared.db import Connection
from shared.events.envelope import Envelope
from shared.topics import TopicSpec
from shared.tracing import current_trace


async def append(connection: Connection, topic: TopicSpec | str, envelope: Envelope) -> None:
    """Queue `envelope` for `topic`; it is published only if the caller's transaction commits."""
    await append_many(connection, [(topic, envelope)])


def append_statement(first: int) -> str:
    """`append_many`'s INSERT with its five parameters numbered from `first`, for a caller that
    writes its own rows and the outbox's in ONE statement (a data-modifying CTE): pass it
    `append_values(items)`. A constant of this module: nothing in it comes from input."""
    e = [f"${first + i}" for i in range(5)]
    return (
        "INSERT INTO outbox (event_id, topic, key, headers, payload)"
        " SELECT e.event_id, e.topic, e.key, e.headers::jsonb, e.payload"
        f" FROM unnest({e[0]}::uuid[], {e[1]}::text[], {e[2]}::text[], {e[3]}::text[], {e[4]}::bytea[])"
        " WITH ORDINALITY AS e(event_id, topic, key, headers, payload, n) ORDER BY e.n"
    )


def append_values(
    items: Sequence[tuple[TopicSpec | str, Envelope]], traces: Sequence[Mapping[str, str]] | None = None
) -> tuple[list[Any], list[str], list[str], list[str], list[bytes]]:
    """The five parameters of `append_statement` for `items` (see `append_many` for `traces`)."""
    if traces is None:
        traces = [current_trace()] * len(items)
    return (
        [envelope.event_id for _, envelope in items],
        [topic.name if isinstance(topic, TopicSpec) else topic for topic, _ in items],
        [envelope.key for _, envelope in items],
        [
            json.dumps({**envelope.header_values(), **trace})
            for (_, envelope), trace in zip(items, traces, strict=True)
        ],
        [envelope.to_bytes() for _, envelope in items],
    )


async def append_many(
    connection: Connection,
    items: Sequence[tuple[TopicSpec | str, Envelope]],
    traces: Sequence[Mapping[str, str]] | None = None,
) -> None:
    """Queue every envelope, in order (the relay publishes in that order), with ONE statement.

    Each row carries the trace context it was made in into the Kafka headers: the current one, or
    per item `traces` (for a caller that buffers events made under different spans)."""
    if not items:
        return
    await connection.execute(_APPEND, *append_values(items, traces))


_APPEND = append_statement(1)


async def unsent_count(connection: Connection) -> int:
    """Rows not published yet, parked ones included."""
    return int(await connection.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
