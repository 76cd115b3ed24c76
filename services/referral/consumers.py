"""The faststream broker: referral's two batch subscribers, and the partner contract declared on it.

Each subscriber takes up to `BATCH_RECORDS` messages at a time and applies them in ONE transaction
(`shared.inbox.apply_batch`): the commit and the round trips are shared by the batch, while every
consuming rule still holds per message — a redelivered event has no second effect, a bad one is
dead-lettered alone (`DeadLetters`) and the rest of its batch is applied, a transient fault retries
the batch, and each partition's messages are applied in offset order.
"""

from __future__ import annotations

from typing import Annotated

from faststream.kafka import KafkaBroker
from pydantic import WithJsonSchema

from shared.db import Pool
from shared.inbox import ApplyMany, BatchOutcome, apply_batch
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options
from shared.settings import Settings
from shared.topics import Topics

from .contract import declare_contract
from .core.directory import Directory
from .use_cases.returnees import ReferralHandlers

SERVICE = "referral"
RETURNEES_CONSUMER = "referral.returnees"
RESPONSES_CONSUMER = "referral.responses"
BATCH_RECORDS = 500

# A batch handler's argument, documented as what each record is: one message of raw bytes.
RecordValues = Annotated[list[bytes], WithJsonSchema({"type": "string", "format": "binary"})]


class Consumers:
    """What the subscribers call. The pool arrives when the runtime has started; a broker built
    only to generate the contract never gets one (and never consumes)."""

    def __init__(self, handlers: ReferralHandlers) -> None:
        self.handlers = handlers
        self.pool: Pool | None = None

    def _pool(self) -> Pool:
        if self.pool is None:
            raise RuntimeError("the referral consumers have no database pool yet")
        return self.pool

    async def returnee_events(self, bodies: list[bytes]) -> BatchOutcome:
        topic = self.handlers.topics.returnees.name
        return await self._apply(RETURNEES_CONSUMER, topic, bodies, self.handlers.on_returnee_events)

    async def partner_responses(self, bodies: list[bytes]) -> BatchOutcome:
        topic = self.handlers.topics.referral_responses.name
        return await self._apply(RESPONSES_CONSUMER, topic, bodies, self.handlers.on_partner_responses)

    async def _apply(self, consumer: str, topic: str, bodies: list[bytes], apply: ApplyMany) -> BatchOutcome:
        outcome = await apply_batch(self._pool(), consumer, topic, bodies, apply)
        if outcome.failures:
            raise DeadLetters(outcome.failures)  # after the commit: the middleware dead-letters them
        return outcome


def build_broker(settings: Settings, directory: Directory, consumers: Consumers) -> KafkaBroker:
    broker = create_broker(settings, SERVICE)
    topics = Topics(settings.topic_prefix)
    # group ids carry the topic prefix: two deployments (or tests) on one cluster stay apart
    prefix = settings.topic_prefix

    # The names make the contract's channel ids, and the contract documents one message: batches
    # are how this service reads, not what partners and intake write.
    async def on_returnee_event(bodies: RecordValues) -> None:
        await consumers.returnee_events(bodies)

    async def on_partner_response(bodies: RecordValues) -> None:
        await consumers.partner_responses(bodies)

    # registered by call rather than as decorators: the functions stay typed for mypy
    broker.subscriber(
        topics.returnees.name,
        **batch_subscriber_options(f"{prefix}{RETURNEES_CONSUMER}", BATCH_RECORDS),
        description="Intake's case events. NeedsAssessed (and ReturneeRegistered carrying needs) issue "
        "referrals, ConsentChanged withdraws or issues them, CaseClosed withdraws every open one; other "
        "types are recorded and skipped. Raw envelope bytes: a malformed one is dead-lettered.",
    )(on_returnee_event)
    broker.subscriber(
        topics.referral_responses.name,
        **batch_subscriber_options(f"{prefix}{RESPONSES_CONSUMER}", BATCH_RECORDS),
        description="Partners' answers (see the written-by-partners channel for their shape). Raw "
        "envelope bytes: a malformed answer or an impossible move is dead-lettered with the reason.",
    )(on_partner_response)

    declare_contract(broker, topics, directory)
    return broker
