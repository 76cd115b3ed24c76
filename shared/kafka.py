"""Kafka plumbing: the producer and broker factories and the consuming rules every service keeps.

- producers are idempotent with `acks=all`;
- consumers commit an offset only after the handler returned, i.e. after its database commit;
- a message that cannot be handled goes to `<topic>.dlq` with the error in headers, and the
  consumer moves on; a transient fault (the database is away) is retried with backoff and never
  dead-lettered: after the bounded in-process attempts the message is sought back and re-read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

from .events.envelope import current_correlation_id
from .settings import Settings
from .transient import is_transient

log = structlog.get_logger("shared.kafka")

DLQ_HEADER_PREFIX = "x-dlq-"

# Subscribers use this: the offset is committed after the handler (and its transaction) is done;
# an exception that reaches faststream (a transient fault after our retries) seeks back instead.
CONSUMER_ACK_POLICY = AckPolicy.NACK_ON_ERROR


def producer_options(settings: Settings, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
    }


def create_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_options(settings, client_id))


def create_broker(settings: Settings, service: str, **options: Any) -> KafkaBroker:
    """A faststream broker with Homeward's middlewares. Subscribe with `subscriber_options()`."""
    dead_letters = DeadLetterPolicy(
        # resolved at call time: the broker below exists by the first message
        publish=lambda topic, value, key, headers: broker.publish(
            value, topic=topic, key=key, headers=headers
        ),
        max_attempts=settings.consumer_max_attempts,
        backoff_initial_s=settings.consumer_backoff_initial_s,
        backoff_max_s=settings.consumer_backoff_max_s,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        middlewares=[dead_letters.middleware],
        client_id=f"homeward-{service}",
        acks="all",
        enable_idempotence=True,
        logger=logging.getLogger(f"faststream.{service}"),
        # "Received"/"Processed" for every message is noise at INFO; our middleware logs what matters
        log_level=logging.DEBUG,
        allow_auto_create_topics=False,
        **options,
    )
    return broker


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


def header(msg: StreamMessage[Any], name: str) -> str | None:
    value = msg.headers.get(name)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


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
        record = _record(msg)
        headers = {
            k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v))
            for k, v in msg.headers.items()
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
            except Exception as error:
                if not self.policy.transient(error):
                    await self.policy.dead_letter(msg, error)
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
