"""Reporting's Kafka subscriptions: one subscriber per consumed topic, each event applied to the
live generation of the read model through the inbox (`shared.inbox.apply_once`): a redelivered
event has no second effect, a malformed one is dead-lettered, a transient fault is retried.

A malformed checkpoint is dead-lettered to `grants.ledger-checkpoints.v1.dlq`, which reporting
creates (it is the topic's only consumer inside Homeward).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from shared.db import Connection
from shared.events.envelope import Envelope
from shared.inbox import apply_once
from shared.kafka.subscriptions import subscriber_options

from .use_cases.context import ReportingContext
from .use_cases.projection import apply_live

# consumer (inbox name and group, under the deployment's prefix) per topic
CONSUMERS = {
    "returnees": "reporting.returnees",
    "referral_status": "reporting.referral-status",
    "grants_installments": "reporting.installments",
    "ledger_checkpoints": "reporting.checkpoints",
}


async def apply_live_one(connection: Connection, envelope: Envelope) -> None:
    await apply_live(connection, [envelope])


def _handler(context: ReportingContext, consumer: str, topic: str) -> Callable[[bytes], Awaitable[None]]:
    async def on_event(body: bytes) -> None:
        await apply_once(context.pool, consumer, topic, body, apply_live_one)

    return on_event


def subscribe(broker: KafkaBroker, context: ReportingContext) -> None:
    prefix = context.topics.prefix
    for attribute, consumer in CONSUMERS.items():
        topic = getattr(context.topics, attribute).name
        broker.subscriber(
            topic,
            **subscriber_options(prefix + consumer),
            description=f"{topic} into the reporting read model",
        )(_handler(context, consumer, topic))
