"""Where a delivery stands in its partitions: the records a faststream message carries, rewinding
them so they are read again, and the lag behind each partition's end.

faststream hands the middleware a `KafkaMessage` whose `raw_message` is one aiokafka
`ConsumerRecord` (a single-message subscriber) or a tuple of them (a batch subscriber, possibly
spanning several partitions), and whose `consumer` is the aiokafka consumer that read them."""

from __future__ import annotations

from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError
from faststream.message import StreamMessage

from shared.metrics import CONSUMER_LAG, topic_label

log = structlog.get_logger("shared.kafka")


def records_of(msg: StreamMessage[Any]) -> tuple[Any, ...]:
    """The aiokafka records of one delivery, in the order the subscriber received them."""
    raw = msg.raw_message
    return tuple(raw) if isinstance(raw, tuple) else (raw,)


def first_offsets(records: tuple[Any, ...]) -> dict[TopicPartition, int]:
    """Per partition, the offset of its first record in the delivery."""
    first: dict[TopicPartition, int] = {}
    for record in records:
        where = TopicPartition(record.topic, record.partition)
        if where not in first or record.offset < first[where]:
            first[where] = record.offset
    return first


def rewind(msg: StreamMessage[Any], records: tuple[Any, ...]) -> None:
    """Seek every partition of the delivery back to its first record, so that all of them are read
    again — not only the first record's partition, which is all faststream before 0.7.8 rewinds on
    a nack: a batch's other partitions would move on, and their records would be committed unread
    by the next acknowledgement.

    aiokafka's `seek` moves the fetch position and drops what it had already fetched for that
    partition; a partition this consumer no longer holds (a rebalance meanwhile) is skipped: its
    new owner starts from the committed offset, which is still before these records."""
    consumer = getattr(msg, "consumer", None)
    if consumer is None:
        return
    for where, offset in first_offsets(records).items():
        try:
            consumer.seek(where, offset)
        except IllegalStateError as error:  # a partition it no longer holds
            log.info("partition not rewound", partition=str(where), error_type=type(error).__name__)


def report_lag(msg: StreamMessage[Any], records: tuple[Any, ...], group: str) -> None:
    """Set `homeward_consumer_lag_records` for each partition of the delivery: the partition's
    last known end (highwater, from the fetch that brought the records) minus the consumer's
    position after them. Unknown (no highwater yet, a test broker) is left unset."""
    consumer = getattr(msg, "consumer", None)
    highwater = getattr(consumer, "highwater", None)
    assignment = getattr(consumer, "assignment", None)
    if consumer is None or highwater is None or assignment is None:
        return
    held = assignment()
    last: dict[TopicPartition, int] = {}
    for record in records:
        where = TopicPartition(record.topic, record.partition)
        last[where] = max(last.get(where, record.offset), record.offset)
    changed: set[tuple[str, str, str]] = set()
    for where, offset in last.items():
        end = highwater(where) if where in held else None
        if end is not None:
            series = (group, topic_label(where.topic), str(where.partition))
            _lags.setdefault(series, {})[where.topic] = max(0, end - (offset + 1))
            changed.add(series)
    for series in changed:  # topics that share a label (partners' answer topics) add up
        CONSUMER_LAG.labels(*series).set(sum(_lags[series].values()))


# the last lag seen per topic behind each series, for the series that stand for several topics
_lags: dict[tuple[str, str, str], dict[str, int]] = {}
