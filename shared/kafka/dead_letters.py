"""Dead letters: a poison record goes to its topic's dead-letter topic (`<its topic>.dlq`, or the
one `shared.topics.Topics.dead_letter_topic` names) with its own bytes, key and headers, plus
headers saying why, where from and who refused it (`x-dlq-*`).

A dead letter can appear twice: a consumer that dies after publishing it and before committing its
offset reads the record again. One record refused by one consumer group is one dead letter, whatever
the copies: `x-dlq-source-topic`, `-partition`, `-offset` and `x-dlq-consumer-group` say which.

A batch handler names its poison with `DeadLetters`, raised AFTER its transaction committed the
rest of the batch; the consuming rules (`shared.kafka.consuming`) publish each of them alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

log = structlog.get_logger("shared.kafka")

DLQ_HEADER_PREFIX = "x-dlq-"

# (topic, value, key, headers) -> published once the broker has it
PublishRaw = Callable[[str, bytes, bytes | None, dict[str, str]], Awaitable[Any]]


class DeadLetters(Exception):
    """Raised by a batch handler AFTER its transaction committed: `failures` maps the index of
    each message (in the batch's order) that is poison to its error. Each of them is dead-lettered
    alone and the batch is acknowledged."""

    def __init__(self, failures: Mapping[int, BaseException]) -> None:
        super().__init__(f"{len(failures)} message(s) of the batch failed")
        self.failures = dict(failures)


def dead_letter_headers(record: Any, error: BaseException, group: str = "") -> dict[str, str]:
    """The record's own headers, plus why it failed, where it came from and which consumer group
    refused it (several groups may read one topic, and each refuses its own copy)."""
    headers = {
        k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in (record.headers or ())
    }
    headers.update(
        {
            f"{DLQ_HEADER_PREFIX}error": str(error)[:2000] or type(error).__name__,
            f"{DLQ_HEADER_PREFIX}error-type": type(error).__name__,
            f"{DLQ_HEADER_PREFIX}source-topic": record.topic,
            f"{DLQ_HEADER_PREFIX}source-partition": str(record.partition),
            f"{DLQ_HEADER_PREFIX}source-offset": str(record.offset),
            f"{DLQ_HEADER_PREFIX}failed-at": datetime.now(UTC).isoformat(),
            f"{DLQ_HEADER_PREFIX}consumer-group": group,
        }
    )
    return headers


async def dead_letter(
    publish: PublishRaw, record: Any, error: BaseException, group: str = "", topic: str | None = None
) -> None:
    """Publish `record` (an aiokafka ConsumerRecord) that consumer group `group` refused to `topic`
    (default `<its topic>.dlq`); raises when the broker does not take it (the caller retries: the
    record is not acknowledged until this returns)."""
    target = topic or f"{record.topic}.dlq"
    await publish(target, record.value or b"", record.key, dead_letter_headers(record, error, group))
    log.warning("message dead-lettered", error_type=type(error).__name__, error=str(error)[:500])
