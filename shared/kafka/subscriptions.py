"""How every subscriber is declared: offsets committed only after the handler (and its database
transaction) is done, raw bytes handed to the handler (which parses envelopes itself, so a message
that does not parse fails inside the dead-letter middleware's reach), and batches."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.message import StreamMessage

# Subscribers use this: the offset is committed after the handler (and its transaction) is done;
# an exception that reaches faststream (a fault that outlasted the in-process retries, its delivery
# already rewound by `shared.kafka.consuming`) leaves it uncommitted and seeks back instead.
CONSUMER_ACK_POLICY = AckPolicy.NACK_ON_ERROR


async def raw_body(msg: StreamMessage[Any]) -> bytes:
    """Hand the handler the record's bytes: handlers parse envelopes themselves, so a message
    that does not parse fails inside the middleware's reach and is dead-lettered."""
    return bytes(msg.body)


def subscriber_options(group_id: str) -> dict[str, Any]:
    """Keyword arguments for `broker.subscriber(topic, **subscriber_options(group))`; the
    handler receives `body: bytes`."""
    return {
        "group_id": group_id,
        "ack_policy": CONSUMER_ACK_POLICY,
        "auto_offset_reset": "earliest",
        "decoder": raw_body,
    }


# Records per batch: large enough to spread a transaction's commit and round trips over many
# events, small enough that a redelivered batch is little work.
DEFAULT_BATCH_RECORDS = 500


async def raw_bodies(msg: StreamMessage[Any]) -> list[bytes]:
    """A batch's record values, in the order of `msg.raw_message`."""
    return [bytes(body or b"") for body in msg.body]


def batch_subscriber_options(group_id: str, max_records: int = DEFAULT_BATCH_RECORDS) -> dict[str, Any]:
    """Keyword arguments for a batch subscriber; the handler receives `bodies: list[bytes]` (up to
    `max_records`, across the partitions it holds, each partition's records in offset order) and
    raises `DeadLetters` for those that must be dead-lettered."""
    return {
        "group_id": group_id,
        "ack_policy": CONSUMER_ACK_POLICY,
        "auto_offset_reset": "earliest",
        "decoder": raw_bodies,
        "batch": True,
        "max_records": max_records,
        # getmany returns as soon as records are there; when none came within this time faststream
        # sleeps as long again, so it bounds the latency an idle consumer adds (at ~100 idle wake-ups/s)
        "batch_timeout_ms": 5,
    }


def header(msg: StreamMessage[Any], name: str) -> str | None:
    value = msg.headers.get(name)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
