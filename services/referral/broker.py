"""The faststream broker: referral's two subscribers, and the partner contract declared on it."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from shared.db import Pool
from shared.inbox import apply_once
from shared.kafka import create_broker, subscriber_options
from shared.settings import Settings
from shared.topics import Topics

from .contract import declare_contract
from .directory import Directory
from .handlers import ReferralHandlers

SERVICE = "referral"
RETURNEES_CONSUMER = "referral.returnees"
RESPONSES_CONSUMER = "referral.responses"


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

    async def returnee_event(self, body: bytes) -> None:
        topic = self.handlers.topics.returnees.name
        await apply_once(self._pool(), RETURNEES_CONSUMER, topic, body, self.handlers.on_returnee_event)

    async def partner_response(self, body: bytes) -> None:
        topic = self.handlers.topics.referral_responses.name
        await apply_once(self._pool(), RESPONSES_CONSUMER, topic, body, self.handlers.on_partner_response)


def build_broker(settings: Settings, directory: Directory, consumers: Consumers) -> KafkaBroker:
    broker = create_broker(settings, SERVICE)
    topics = Topics(settings.topic_prefix)
    # group ids carry the topic prefix: two deployments (or tests) on one cluster stay apart
    prefix = settings.topic_prefix

    async def on_returnee_event(body: bytes) -> None:
        await consumers.returnee_event(body)

    async def on_partner_response(body: bytes) -> None:
        await consumers.partner_response(body)

    # registered by call rather than as decorators: the functions stay typed for mypy
    broker.subscriber(
        topics.returnees.name,
        **subscriber_options(f"{prefix}{RETURNEES_CONSUMER}"),
        description="Intake's case events. NeedsAssessed (and ReturneeRegistered carrying needs) issue "
        "referrals, ConsentChanged withdraws or issues them, CaseClosed withdraws every open one; other "
        "types are recorded and skipped. Raw envelope bytes: a malformed one is dead-lettered.",
    )(on_returnee_event)
    broker.subscriber(
        topics.referral_responses.name,
        **subscriber_options(f"{prefix}{RESPONSES_CONSUMER}"),
        description="Partners' answers (see the written-by-partners channel for their shape). Raw "
        "envelope bytes: a malformed answer or an impossible move is dead-lettered with the reason.",
    )(on_partner_response)

    declare_contract(broker, topics, directory)
    return broker
