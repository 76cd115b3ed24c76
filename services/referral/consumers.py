"""Referral's Kafka subscriptions: two batch subscribers, each handing its batch to a use case
through the inbox, and the partner contract declared on the same broker.

Each subscriber takes up to `BATCH_RECORDS` messages at a time and applies them in ONE transaction
(`shared.inbox.apply_batch`): the commit and the round trips are shared by the batch, while every
consuming rule still holds per message — a redelivered event has no second effect, a bad one is
dead-lettered alone (`DeadLetters`) and the rest of its batch is applied, a transient fault retries
the batch, and each partition's messages are applied in offset order.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from faststream.kafka import KafkaBroker
from pydantic import WithJsonSchema

from shared.db import Pool
from shared.inbox import ApplyMany, apply_batch
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options
from shared.settings import Settings

from .contract import declare_contract
from .use_cases.context import ReferralContext
from .use_cases.responses import apply_partner_responses
from .use_cases.returnees import apply_returnee_events

SERVICE = "referral"
RETURNEES_CONSUMER = "referral.returnees"
RESPONSES_CONSUMER = "referral.responses"
BATCH_RECORDS = 500

# A batch handler's argument, documented as what each record is: one message of raw bytes.
RecordValues = Annotated[list[bytes], WithJsonSchema({"type": "string", "format": "binary"})]


class Consumers:
    """What the subscribers call. The pool arrives when the runtime has started; a broker built
    only to generate the contract never gets one (and never consumes)."""

    def __init__(self, context: ReferralContext) -> None:
        self.context = context
        self.pool: Pool | None = None

    async def returnee_events(self, bodies: list[bytes]) -> None:
        topic = self.context.topics.returnees.name
        await self._apply(RETURNEES_CONSUMER, topic, bodies, partial(apply_returnee_events, self.context))

    async def partner_responses(self, bodies: list[bytes]) -> None:
        topic = self.context.topics.referral_responses.name
        await self._apply(RESPONSES_CONSUMER, topic, bodies, partial(apply_partner_responses, self.context))

    async def _apply(self, consumer: str, topic: str, bodies: list[bytes], apply: ApplyMany) -> None:
        if self.pool is None:
            raise RuntimeError("the referral consumers have no database pool yet")
        outcome = await apply_batch(self.pool, consumer, topic, bodies, apply)
        if outcome.failures:
            raise DeadLetters(outcome.failures)  # after the commit: the middleware dead-letters them


def build_broker(settings: Settings, consumers: Consumers) -> KafkaBroker:
    broker = create_broker(settings, SERVICE)
    topics = consumers.context.topics
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
        "referrals, ConsentChanged withdraws or issues them (a withdrawn consent asks the category's "
        "partners to delete the case), CaseClosed withdraws every open one, PersonalDataErased asks "
        "every partner that received the case to delete it; other types are recorded and skipped. "
        "Raw envelope bytes: a malformed one is dead-lettered.",
    )(on_returnee_event)
    broker.subscriber(
        topics.referral_responses.name,
        **batch_subscriber_options(f"{prefix}{RESPONSES_CONSUMER}", BATCH_RECORDS),
        description="Partners' answers (see the written-by-partners channel for their shape). Raw "
        "envelope bytes: a malformed answer or an impossible move is dead-lettered with the reason.",
    )(on_partner_response)

    declare_contract(broker, topics, consumers.context.directory)
    return broker
