"""Reporting's Kafka subscriptions: one batch subscriber per consumed topic, each batch applied to
the live generation of the read model through the inbox (`shared.inbox.apply_batch`): a
redelivered event has no second effect, a malformed one is dead-lettered alone, a transient fault
retries the batch.

A malformed checkpoint is dead-lettered to `grants.ledger-checkpoints.v1.dlq`, which reporting
creates (it is the topic's only consumer inside Homeward).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from shared.inbox import apply_batch
from shared.kafka.dead_letters import DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options

from .use_cases.context import ReportingContext
from .use_cases.projection import apply_live

BATCH_RECORDS = 500
# consumer (inbox name and group, under the deployment's prefix) per topic
CONSUMERS = {
    "returnees": "reporting.returnees",
    "referral_status": "reporting.referral-status",
    "grants_installments": "reporting.installments",
    "ledger_checkpoints": "reporting.checkpoints",
}


async def _apply(context: ReportingContext, consumer: str, topic: str, bodies: list[bytes]) -> None:
    outcome = await apply_batch(context.pool, consumer, topic, bodies, apply_live)
    if outcome.failures:
        raise DeadLetters(outcome.failures)  # after the commit: the middleware dead-letters them


def _handler(
    context: ReportingContext, consumer: str, topic: str
) -> Callable[[list[bytes]], Awaitable[None]]:
    async def on_events(bodies: list[bytes]) -> None:
        await _apply(context, consumer, topic, bodies)

    return on_events


def subscribe(broker: KafkaBroker, context: ReportingContext) -> None:
    prefix = context.topics.prefix
    for attribute, consumer in CONSUMERS.items():
        topic = getattr(context.topics, attribute).name
        broker.subscriber(
            topic,
            **batch_subscriber_options(prefix + consumer, BATCH_RECORDS),
            description=f"{topic} into the reporting read model",
        )(_handler(context, consumer, topic))
