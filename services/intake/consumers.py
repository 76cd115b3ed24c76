"""What intake consumes: referral status and grant installments, kept as the case timeline
(`use_cases.timeline`).

Each event takes effect once (the inbox, `apply_once`); one that cannot be parsed, or names a case
intake does not know (a `Poison`), is dead-lettered by the broker middleware and the consumer moves
on."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from services.intake.core.timeline import Source
from services.intake.use_cases.timeline import record_reported_event
from shared.db import Connection, Pool
from shared.events.envelope import Envelope
from shared.inbox import Apply, apply_once
from shared.kafka.subscriptions import subscriber_options
from shared.topics import Topics

INBOX_CONSUMER = "intake.timeline"


def _timeline_recorder(source: Source, topic: str) -> Apply:
    async def record(connection: Connection, envelope: Envelope) -> None:
        await record_reported_event(connection, envelope, source, topic)

    return record


def subscribe_timeline(broker: KafkaBroker, pool: Pool, topics: Topics) -> None:
    """Register the two subscribers on `broker`. Group ids carry the topic prefix, so deployments
    (and tests) that share a cluster never share a consumer group."""
    referral_status = topics.referral_status.name
    grants_installments = topics.grants_installments.name
    record_referral = _timeline_recorder(Source.REFERRAL, referral_status)
    record_grants = _timeline_recorder(Source.GRANTS, grants_installments)

    async def on_referral_status(body: bytes) -> None:
        await apply_once(pool, INBOX_CONSUMER, referral_status, body, record_referral)

    async def on_grants_installment(body: bytes) -> None:
        await apply_once(pool, INBOX_CONSUMER, grants_installments, body, record_grants)

    # registered by call, not as decorators: the decorator's type is opaque to mypy
    prefix = topics.prefix
    subscribe = broker.subscriber
    subscribe(referral_status, **subscriber_options(f"{prefix}intake.timeline.referral-status"))(
        on_referral_status
    )
    subscribe(grants_installments, **subscriber_options(f"{prefix}intake.timeline.grants"))(
        on_grants_installment
    )
