"""Kafka plumbing: the producer and broker factories and the consuming rules every service keeps.

- producers are idempotent with `acks=all`;
- consumers commit an offset only after the handler returned, i.e. after its database commit;
- a message that cannot be handled goes to `<topic>.dlq` with the error in headers, and the
  consumer moves on; a transient fault (the database is away) is retried with backoff and never
  dead-lettered: after the bounded in-process attempts the message is sought back and re-read.

A batch subscriber (`batch_subscriber_options`) keeps the same rules per message: its handler
applies the batch in one transaction and raises `DeadLetters` naming the messages that failed for
good; each of those goes to the DLQ alone and the batch is acknowledged. A transient fault retries
(and at worst re-reads) the whole batch, which the inbox makes harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from aiokafka import AIOKafkaProducer
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .events.envelope import current_correlation_id
from .settings import Settings
from .transient import is_transient

log = structlog.get_logger("shared.kafka")

DLQ_HEADER_PREFIX = "x-dlq-"

# Subscribers use this: the offset is committed after the handler (and its transaction) is done;
# an exception that reaches faststream (a transient fault after our retries) seeks back instead.
CONSUMER_ACK_POLICY = AckPolicy.NACK_ON_ERROR


def kafka_security_options(settings: Settings) -> dict[str, Any]:
    """aiokafka keyword arguments (producer, consumer, admin client) for the configured security
    protocol: nothing for PLAINTEXT; SASL credentials and/or a TLS context that verifies the
    brokers with `kafka_ssl_cafile` (the system's CAs without one)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        options["ssl_context"] = create_ssl_context(cafile=cafile)
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise ValueError(
                f"HOMEWARD_KAFKA_SECURITY_PROTOCOL={protocol} needs HOMEWARD_KAFKA_SASL_USERNAME"
                " and HOMEWARD_KAFKA_SASL_PASSWORD"
            )
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return options


def broker_security(settings: Settings) -> BaseSecurity | None:
    """The same settings as faststream's `security=` object (its KafkaBroker takes no raw
    aiokafka security keywords)."""
    options = kafka_security_options(settings)
    if not options:
        return None
    context = options.get("ssl_context")
    mechanism = options.get("sasl_mechanism")
    if mechanism is None:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    kinds: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }
    return kinds[mechanism](
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        ssl_context=context,
        use_ssl=options["security_protocol"] == "SASL_SSL",
    )


def producer_options(settings: Settings, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        # the outbox relay hands over a partition's rows as one batch (send_batch): room for a
        # relay batch's worth per partition in one request, well under the broker's 1 MiB limit
        "max_batch_size": 256 * 1024,
        **kafka_security_options(settings),
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
        **({"security": broker_security(settings)} | options),
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


class DeadLetters(Exception):
    """Raised by a batch handler AFTER its transaction committed: `failures` maps the index of
    each message (in the batch's order) that failed for good to its error. The middleware
    dead-letters each of them alone and acknowledges the batch."""

    def __init__(self, failures: Mapping[int, BaseException]) -> None:
        super().__init__(f"{len(failures)} message(s) of the batch failed")
        self.failures = dict(failures)


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
