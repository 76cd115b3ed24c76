"""The consuming rules every subscriber keeps, installed as a broker middleware (faststream 0.7 has
no subscriber-level ones): a per-message log context, bounded retry with backoff for transient
faults, and dead-lettering to `<topic>.dlq` of what cannot be handled.

A batch subscriber keeps the same rules per message: its handler applies the batch in one
transaction and raises `DeadLetters` naming the messages that failed for good; each of those goes
to the DLQ alone and the batch is acknowledged. A transient fault retries (and at worst re-reads)
the whole batch, which the inbox makes harmless.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from faststream import BaseMiddleware
from faststream.message import StreamMessage

from shared.events.envelope import current_correlation_id
from shared.transient import is_transient

from .subscriptions import header

log = structlog.get_logger("shared.kafka")

DLQ_HEADER_PREFIX = "x-dlq-"


class DeadLetters(Exception):
    """Raised by a batch handler AFTER its transaction committed: `failures` maps the index of
    each message (in the batch's order) that failed for good to its error. The middleware
    dead-letters each of them alone and acknowledges the batch."""

    def __init__(self, failures: Mapping[int, BaseException]) -> None:
        super().__init__(f"{len(failures)} message(s) of the batch failed")
        self.failures = dict(failures)


def _record(msg: StreamMessage[Any]) -> Any:
    return msg.raw_message[0] if isinstance(msg.raw_message, tuple) else msg.raw_message


PublishRaw = Callable[[str, bytes, bytes | None, dict[str, str]], Awaitable[Any]]


class DeadLetterPolicy:
    """Per-message log context, bounded retry of transient faults, dead-lettering of the rest.

    Installed as a broker middleware (faststream 0.7 has no subscriber-level ones)."""

    def __init__(
        self,
        publish: PublishRaw,
        *,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        transient: Callable[[BaseException], bool] = is_transient,
    ) -> None:
        self.publish = publish
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.transient = transient
        self.dead_lettered = 0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_initial_s * 2 ** (attempt - 1)))

    def middleware(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _DeadLetterMiddleware(msg, context=context, policy=self)

    async def dead_letter(self, msg: StreamMessage[Any], error: BaseException) -> None:
        await self.dead_letter_record(_record(msg), error)

    async def dead_letter_record(self, record: Any, error: BaseException) -> None:
        """Publish `record` (an aiokafka ConsumerRecord) to `<its topic>.dlq`: its own bytes, key
        and headers, plus the error and where it came from."""
        headers = {
            k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v))
            for k, v in (record.headers or ())
        }
        headers.update(
            {
                f"{DLQ_HEADER_PREFIX}error": str(error)[:2000] or type(error).__name__,
                f"{DLQ_HEADER_PREFIX}error-type": type(error).__name__,
                f"{DLQ_HEADER_PREFIX}source-topic": record.topic,
                f"{DLQ_HEADER_PREFIX}source-partition": str(record.partition),
                f"{DLQ_HEADER_PREFIX}source-offset": str(record.offset),
                f"{DLQ_HEADER_PREFIX}failed-at": datetime.now(UTC).isoformat(),
            }
        )
        await self.publish(f"{record.topic}.dlq", record.value or b"", record.key, headers)
        self.dead_lettered += 1
        log.warning("message dead-lettered", error_type=type(error).__name__, error=str(error)[:500])


class _DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        if isinstance(msg.raw_message, tuple):  # a batch: the handler binds each message's ids
            records: Sequence[Any] = msg.raw_message
            ids: dict[str, Any] = {
                "topic": records[0].topic if records else None,
                "batch_size": len(records),
                "partitions": sorted({r.partition for r in records}),
            }
            with structlog.contextvars.bound_contextvars(**ids):
                return await self._with_retries(call_next, msg)
        record = _record(msg)
        correlation = header(msg, "correlation_id")
        ids = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "event_id": header(msg, "event_id"),
            "event_type": header(msg, "event_type"),
            "correlation_id": correlation,
        }
        token = current_correlation_id.set(_as_uuid(correlation))
        try:
            with structlog.contextvars.bound_contextvars(**ids):
                return await self._with_retries(call_next, msg)
        finally:
            current_correlation_id.reset(token)

    async def _with_retries(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        from faststream.exceptions import HandlerException

        attempt = 0
        while True:
            attempt += 1
            try:
                return await call_next(msg)
            except HandlerException:
                raise  # faststream's own ack/nack/reject signals
            except DeadLetters as failed:
                # the batch's transaction committed the rest: these go to the DLQ, one by one
                records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
                for index, error in sorted(failed.failures.items()):
                    await self.policy.dead_letter_record(records[index], error)
                return None
            except Exception as error:
                if not self.policy.transient(error):
                    # a batch handler isolates its bad messages (DeadLetters); an error that still
                    # escapes it sends every message of the batch to the DLQ, so none disappears
                    records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
                    for record in records:
                        await self.policy.dead_letter_record(record, error)
                    return None
                if attempt >= self.policy.max_attempts:
                    log.warning(
                        "transient fault persists; message will be re-read",
                        attempts=attempt,
                        error_type=type(error).__name__,
                    )
                    await asyncio.sleep(self.policy.backoff(attempt))
                    raise
                delay = self.policy.backoff(attempt)
                log.info(
                    "transient fault; retrying",
                    attempt=attempt,
                    delay_s=delay,
                    error_type=type(error).__name__,
                )
                await asyncio.sleep(delay)


def _as_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
