"""The consuming rules every subscriber keeps, installed as a broker middleware (faststream 0.7 has
no subscriber-level ones):

- each message is handled in a log context of its ids (topic, partition, offset, event id,
  correlation id; a batch: its topic, size and partitions);
- only poison (`shared.poison.is_poison`: malformed, a refused transition, a rule broken, an unknown
  case) is dead-lettered, to `<topic>.dlq` (or where `dead_letter_topic` says), and the consumer
  moves on. A batch handler names its
  poison with `DeadLetters` after its transaction committed the rest; an error that escapes a batch
  handler is never taken as poison (it would not say which message);
- anything else is retried with backoff and never dead-lettered: quietly when it is transient (the
  database or broker away), as an alert (`alert=True` in the log, and
  `homeward_consumer_retries_total{fault="unrecognised"}`) when it is not — a read-only database,
  a full disk, a missing table, a bug;
- a dead letter the broker does not take (too large once the headers are added, not authorised,
  broker away) is retried with the same backoff, as an alert: the message stays unacknowledged until
  its dead letter is out;
- after `max_attempts` attempts the delivery is given up for now: every partition it held is
  rewound to its first record and the error handed on to faststream, which leaves the offsets
  uncommitted (NACK_ON_ERROR). The records are read again and the attempts start over, so a fault
  that lasts is retried for as long as it lasts, never faster than the backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import structlog
from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.message import StreamMessage

from shared.events.envelope import current_correlation_id
from shared.metrics import CONSUMER_RETRIES, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, topic_label
from shared.poison import is_poison
from shared.tracing import batch_of, consuming, trace_headers
from shared.transient import is_transient

from .dead_letters import DeadLetters, PublishRaw, dead_letter
from .positions import records_of, report_lag, rewind
from .subscriptions import header

log = structlog.get_logger("shared.kafka")

CallNext = Callable[[StreamMessage[Any]], Awaitable[Any]]
# (record, why) still to be published to the dead-letter topic
Pending = list[tuple[Any, BaseException]]


class ConsumingRules:
    """The rules' settings, and the middleware to hand the broker: `middlewares=[rules.middleware]`."""

    def __init__(
        self,
        publish: PublishRaw,
        *,
        max_attempts: int = 5,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        dead_letter_topic: Callable[[str], str] = lambda topic: f"{topic}.dlq",
    ) -> None:
        self.publish = publish
        self.dead_letter_topic = dead_letter_topic
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling, capped."""
        return float(min(self.backoff_max_s, self.backoff_initial_s * 2 ** (attempt - 1)))

    def middleware(self, msg: Any, /, *, context: Any) -> BaseMiddleware:
        return _ConsumingMiddleware(msg, context=context, rules=self)


class _ConsumingMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, rules: ConsumingRules) -> None:
        super().__init__(msg, context=context)
        self.rules = rules

    async def consume_scope(self, call_next: CallNext, msg: StreamMessage[Any]) -> Any:
        records = records_of(msg)
        group = self._group()
        for record in records:
            EVENTS_CONSUMED.labels(group, topic_label(record.topic)).inc()
        report_lag(msg, records, group)
        if isinstance(msg.raw_message, tuple):  # a batch: its handler binds each message's ids
            ids: dict[str, Any] = {
                "topic": records[0].topic if records else None,
                "batch_size": len(records),
                "partitions": sorted({r.partition for r in records}),
            }
            with structlog.contextvars.bound_contextvars(**ids), batch_of(records):
                return await self._apply_rules(call_next, msg, records, group)
        record = records[0]
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
            with (
                structlog.contextvars.bound_contextvars(**ids),
                consuming(
                    record.topic,
                    trace_headers(record.headers),
                    consumer=group,
                    event_id=ids["event_id"],
                    event_type=ids["event_type"],
                ),
            ):
                return await self._apply_rules(call_next, msg, records, group)
        finally:
            current_correlation_id.reset(token)

    def _group(self) -> str:
        # faststream puts the subscriber that is handling the message in the context as "handler_"
        subscriber = self.context.get_local("handler_")
        return str(getattr(subscriber, "group_id", None) or "")

    async def _apply_rules(
        self, call_next: CallNext, msg: StreamMessage[Any], records: tuple[Any, ...], group: str
    ) -> Any:
        topic = records[0].topic if records else ""
        pending: Pending | None = None  # set once the handler is done: its poison, if any
        attempt = 0
        while True:
            attempt += 1
            try:
                if pending is None:
                    result, pending = await self._handle(call_next, msg, records)
                    if not pending:
                        return result
                await self._dead_letter(pending, group)
                return None
            except HandlerException:
                raise  # faststream's own ack/nack/reject signals
            except Exception as fault:
                kind = (
                    "dead-letter-publish"
                    if pending
                    else "transient"
                    if is_transient(fault)
                    else "unrecognised"
                )
                CONSUMER_RETRIES.labels(group, topic_label(topic), kind).inc()
                delay = self.rules.backoff(attempt)
                giving_up = attempt >= self.rules.max_attempts
                _log_fault(fault, kind, attempt, delay, giving_up)
                await asyncio.sleep(delay)
                if giving_up:
                    rewind(msg, records)
                    raise

    async def _handle(
        self, call_next: CallNext, msg: StreamMessage[Any], records: tuple[Any, ...]
    ) -> tuple[Any, Pending]:
        """Run the handler: its result and no dead letters, or the poison it named. Anything that is
        not poison raises (to be retried)."""
        try:
            return await call_next(msg), []
        except DeadLetters as failed:
            return None, [(records[index], error) for index, error in sorted(failed.failures.items())]
        except HandlerException:
            raise
        except Exception as error:
            if not isinstance(msg.raw_message, tuple) and is_poison(error):
                return None, [(records[0], error)]
            raise

    async def _dead_letter(self, pending: Pending, group: str) -> None:
        """Publish each pending dead letter, dropping it from `pending` once the broker has it, so a
        retry after a failed publish sends only what is still missing."""
        while pending:
            record, error = pending[0]
            await dead_letter(
                self.rules.publish, record, error, group, self.rules.dead_letter_topic(record.topic)
            )
            EVENTS_DEAD_LETTERED.labels(group, topic_label(record.topic)).inc()
            pending.pop(0)


def _log_fault(fault: Exception, kind: str, attempt: int, delay: float, giving_up: bool) -> None:
    fields: dict[str, Any] = {
        "attempt": attempt,
        "delay_s": delay,
        "error_type": type(fault).__name__,
        "then": "read again" if giving_up else "retry",
    }
    if kind == "transient":
        log.warning("transient fault; the message is retried", **fields)
    elif kind == "unrecognised":
        # the traceback once per delivery: a lasting fault repeats every few seconds
        log.error(
            "fault that is neither transient nor poison; the message is retried, never dead-lettered",
            alert=True,
            error=str(fault)[:500],
            exc_info=fault if attempt == 1 else None,
            **fields,
        )
    else:
        log.error(
            "the dead letter could not be published; the message stays unacknowledged and is retried",
            alert=True,
            error=str(fault)[:500],
            **fields,
        )


def _as_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
