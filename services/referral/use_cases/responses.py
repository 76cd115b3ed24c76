"""Partners' answers, as referral applies them: the referral moves to accepted, declined or
completed — the status machine permitting, and only for the partner it was sent to — and a declined
one is re-routed at once to the next eligible partner, never back to one that declined this case.

Who answered comes from the channel: a partner's own topic `referral.responses.<partner_id>.v1`,
which only its login may write (`AnswerChannel.own_topic`). The shared `referral.responses.v1` is
deprecated: read for one deprecation period with the old rule (the partner the message names must
be the one the referral was sent to), each answer there logged and counted as deprecated.

`apply_partner_responses` runs inside `shared.inbox.apply_batch`'s transaction, through one
CaseBook, in order. An answer that can never be applied raises a Poison (UnexpectedEvent,
UnknownReferral, WrongPartner, RefusedTransition, MalformedEvent) and is dead-lettered alone; one
that repeats what the referral already is changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from prometheus_client import Counter

from services.referral.core.errors import UnexpectedEvent, UnknownReferral
from services.referral.core.events import Occasion
from services.referral.core.routing import place
from services.referral.core.status import respond
from services.referral.store.casebook import CaseBook
from shared.db import Connection
from shared.events import Envelope, ReferralStatus
from shared.events.referral import PartnerResponse, ReferralCompleted, ReferralDeclined
from shared.tracing import message_span

from .context import ReferralContext
from .referral_changes import ReferralChanges

log = structlog.get_logger("referral.responses")

RESPONSE_TYPES = ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted")

DEPRECATED_ANSWERS = Counter(
    "homeward_referral_deprecated_answers_total",
    "Partners' answers read on the deprecated shared topic referral.responses.v1, by the partner "
    "they name (`unknown` for an id not in the directory); a batch read again after a fault counts again",
    ["partner"],
)
REPEATED_ANSWERS = Counter(
    "homeward_referral_repeated_answers_total",
    "Partners' answers that repeated what the referral already was (a partner answering a referral it "
    "received again): applied as no change, never dead-lettered",
    ["answer"],
)


@dataclass(frozen=True)
class AnswerChannel:
    """The topic a batch of answers came from: a partner's own (`partner_id` set: every answer on
    it is that partner's, whatever it says), or the deprecated shared one (`partner_id` None)."""

    topic: str
    partner_id: str | None

    @classmethod
    def own_topic(cls, topic: str, partner_id: str) -> AnswerChannel:
        return cls(topic, partner_id)

    @classmethod
    def shared_topic(cls, topic: str) -> AnswerChannel:
        return cls(topic, None)


async def apply_partner_responses(
    context: ReferralContext, channel: AnswerChannel, connection: Connection, envelopes: list[Envelope]
) -> None:
    topic = channel.topic.removeprefix(context.topics.prefix)  # as partners know it
    responses = [(envelope, _partner_response(envelope, topic)) for envelope in envelopes]
    book = CaseBook(connection)
    await book.load_referrals(response.referral_id for _, response in responses)
    for envelope, response in responses:
        with (
            structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id)),
            message_span(channel.topic, envelope.event_id, envelope.type),
        ):
            if channel.partner_id is None:
                _note_deprecated(context, channel, response)
            partner_id = channel.partner_id or response.partner_id
            await _respond(context, book, envelope, response, partner_id, context.clock())
    await book.flush()


async def _respond(
    context: ReferralContext,
    book: CaseBook,
    envelope: Envelope,
    response: PartnerResponse,
    partner_id: str,
    now: datetime,
) -> None:
    referral = book.referral(response.referral_id)
    case = book.case(referral.case_id) if referral is not None else None
    if case is None or referral is None:
        raise UnknownReferral(f"no referral {response.referral_id} is known")
    target = respond(referral.state, response, partner_id)
    if target is None:
        REPEATED_ANSWERS.labels(envelope.type).inc()
        log.info(
            "answer repeats the referral's state; nothing changes",
            referral_id=str(referral.referral_id),
            status=referral.state.status.value,
            event_type=envelope.type,
        )
        return
    reason = (
        response.reason
        if isinstance(response, ReferralDeclined)
        else response.outcome
        if isinstance(response, ReferralCompleted)
        else None
    )
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    changes.move(referral, target, reason)
    if target is ReferralStatus.DECLINED:
        # route to the next eligible partner, never back to one that declined this case
        excluded = book.declined_partners(referral.case_id).get(referral.category, set())
        loads = await book.loads([referral.category])
        placement = place(case.facts, referral.category, context.directory, loads, now, excluded)
        changes.open(referral.case_id, placement, referral.correlation_id, referral.referral_id)


def _note_deprecated(context: ReferralContext, channel: AnswerChannel, response: PartnerResponse) -> None:
    known = context.directory.partner(response.partner_id) is not None
    partner = response.partner_id if known else "unknown"  # a label per id the directory holds only
    DEPRECATED_ANSWERS.labels(partner).inc()
    own = context.topics.partner_responses(partner).name if known else "its own topic"
    log.warning(
        "answer on the deprecated shared topic; the partner should answer on its own topic",
        partner_id=partner,
        referral_id=str(response.referral_id),
        topic=channel.topic,
        own_topic=own,
        deprecated=True,
    )


def _partner_response(envelope: Envelope, topic: str) -> PartnerResponse:
    if envelope.type not in RESPONSE_TYPES:
        raise UnexpectedEvent(
            f"{envelope.type} does not belong on {topic} (expected one of " + ", ".join(RESPONSE_TYPES) + ")"
        )
    return envelope.event_as(PartnerResponse)
