"""Referral's Kafka subscriptions: two batch subscribers, each handing its batch to a use case
through the inbox, and the partner contract declared on the same broker.

Partners' answers are read from every partner's own topic `referral.responses.<id>.v1` and from the
deprecated shared `referral.responses.v1`, by ONE subscriber that names each topic: the directory
is read once at start-up (a new partner means a restart with the new file), so the list is exact.
A pattern subscription would add nothing but risk: it would also follow topics no directory
partner owns (a removed partner's, one made by hand), notice new ones only at the next metadata
refresh (five minutes), and need the deployment's prefix escaped and anchored to keep the `.dlq`
topics out. Each batch is split by topic, since the topic says who answered.

Each subscriber takes up to `BATCH_RECORDS` messages at a time and applies them in ONE transaction
(`shared.inbox.apply_batch`): the commit and the round trips are shared by the batch, while every
consuming rule still holds per message — a redelivered event has no second effect, a bad one is
dead-lettered alone (`DeadLetters`) and the rest of its batch is applied, a transient fault retries
the batch, and each partition's messages are applied in offset order.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Annotated, Any

from faststream import Context
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pydantic import WithJsonSchema

from shared.db import Pool
from shared.inbox import ApplyMany, apply_batch
from shared.kafka.broker import create_broker
from shared.kafka.dead_letters import DeadLetters
from shared.kafka.subscriptions import batch_subscriber_options
from shared.settings import Settings

from .contract import declare_contract
from .use_cases.context import ReferralContext
from .use_cases.responses import AnswerChannel, AnswerNotes, apply_partner_responses
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

    async def partner_responses(self, bodies: list[bytes], topics: list[str]) -> None:
        """`bodies[i]` was read from `topics[i]`. Each topic's answers are applied in their order,
        in a transaction of their own, as that topic's partner's (`answer_channel`)."""
        by_topic: dict[str, list[int]] = defaultdict(list)
        for index, topic in enumerate(topics):
            by_topic[topic].append(index)
        failures: dict[int, BaseException] = {}
        for topic, indexes in by_topic.items():
            channel, notes = self.answer_channel(topic), AnswerNotes()
            apply = partial(apply_partner_responses, self.context, channel, notes)
            failed = await self._apply_batch(RESPONSES_CONSUMER, topic, [bodies[i] for i in indexes], apply)
            notes.report(self.context, channel)  # committed: logged and counted once
            failures.update({indexes[i]: error for i, error in failed.items()})
        if failures:
            raise DeadLetters(failures)  # after the commits: the middleware dead-letters them

    def answer_channel(self, topic: str) -> AnswerChannel:
        topics = self.context.topics
        if topic == topics.referral_responses.name:
            return AnswerChannel.shared_topic(topic)
        partner_id = topics.answering_partner(topic)
        if partner_id is None or self.context.directory.partner(partner_id) is None:
            # only the topics below are subscribed: this would be a wiring mistake, never data
            raise RuntimeError(f"{topic} is no answer topic of a partner in the directory")
        return AnswerChannel.own_topic(topic, partner_id)

    async def _apply(self, consumer: str, topic: str, bodies: list[bytes], apply: ApplyMany) -> None:
        failures = await self._apply_batch(consumer, topic, bodies, apply)
        if failures:
            raise DeadLetters(failures)  # after the commit: the middleware dead-letters them

    async def _apply_batch(
        self, consumer: str, topic: str, bodies: list[bytes], apply: ApplyMany
    ) -> dict[int, BaseException]:
        if self.pool is None:
            raise RuntimeError("the referral consumers have no database pool yet")
        return (await apply_batch(self.pool, consumer, topic, bodies, apply)).failures


def answer_topics(context: ReferralContext) -> list[str]:
    """Every topic partners answer on: each directory partner's own, then the deprecated shared one."""
    own = [context.topics.partner_responses(p).name for p in context.directory.ids()]
    return [*own, context.topics.referral_responses.name]


def record_topics(message: KafkaMessage) -> list[str]:
    """The topic of each record of a batch delivery, in the order of its bodies."""
    raw: Any = message.raw_message
    return [record.topic for record in (raw if isinstance(raw, tuple) else (raw,))]


def build_broker(settings: Settings, consumers: Consumers) -> KafkaBroker:
    broker = create_broker(settings, SERVICE)
    topics = consumers.context.topics
    # group ids carry the topic prefix: two deployments (or tests) on one cluster stay apart
    prefix = settings.topic_prefix

    # The names make the contract's channel ids, and the contract documents one message: batches
    # are how this service reads, not what partners and intake write.
    async def on_returnee_event(bodies: RecordValues) -> None:
        await consumers.returnee_events(bodies)

    async def on_partner_response(
        bodies: RecordValues, message: Annotated[KafkaMessage, Context("message")]
    ) -> None:
        await consumers.partner_responses(bodies, record_topics(message))

    # registered by call rather than as decorators: the functions stay typed for mypy
    broker.subscriber(
        topics.returnees.name,
        **batch_subscriber_options(f"{prefix}{RETURNEES_CONSUMER}", BATCH_RECORDS),
        description="Intake's case events. NeedsAssessed (and ReturneeRegistered carrying needs) issue "
        "referrals; ArrivalAnnounced issues airport reception, transport and the categories issued on "
        "announcement, ArrivalRescheduled reissues reception and transport for the new flight, "
        "ArrivalConfirmed issues the others, ArrivalCancelled and ArrivalMissed withdraw every open one; "
        "ConsentChanged withdraws or issues them (a withdrawn consent asks the category's "
        "partners to delete the case), HouseholdChanged is applied as NeedsAssessed is (the household as it "
        "is now, for the referrals issued from then on), CaseClosed withdraws every open one, CaseReopened "
        "lets the case's later facts events count again (it issues nothing by itself), "
        "PersonalDataErased asks "
        "every partner that received the case to delete it; other types are recorded and skipped. "
        "Raw envelope bytes: a malformed one is dead-lettered.",
    )(on_returnee_event)
    broker.subscriber(
        *answer_topics(consumers.context),
        **batch_subscriber_options(f"{prefix}{RESPONSES_CONSUMER}", BATCH_RECORDS),
        description="Partners' answers (see the written-by-partners channels for their shape): who "
        "answered is the partner whose topic it is. Raw envelope bytes: a malformed answer, an impossible "
        "move or an answer about another partner's referral is dead-lettered with the reason (answers on "
        "partners' own topics to referral.responses.dlq); one that repeats the referral's state, or answers "
        "a referral already withdrawn, changes nothing.",
    )(on_partner_response)

    declare_contract(broker, topics, consumers.context.directory)
    return broker
