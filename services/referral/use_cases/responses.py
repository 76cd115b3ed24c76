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
that repeats what the referral already is, or comes after the referral was withdrawn, changes
nothing. What is worth logging and counting — those, and answers on the deprecated topic — is
noted in `AnswerNotes` and reported once the transaction committed: `apply_batch` may apply a batch
twice (all at once, rolled back by a poison message, then one by one), and a count taken as it goes
would count those answers twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import structlog
from prometheus_client import Counter

from services.referral.core.errors import UnexpectedEvent, UnknownReferral
from services.referral.core.events import Occasion
from services.referral.core.routing import place
from services.referral.core.status import Unchanged, respond
from services.referral.store.casebook import CaseBook
from shared.db import Connection
from shared.events import Envelope, ReferralStatus
from shared.events.referral import PartnerResponse, ReferralCompleted, ReferralDeclined
from shared.tracing import message_span

from .context import ReferralContext
from .referral_changes import ReferralChanges

log = structlog.get_logger("referral.responses")

RESPONSE_TYPES = ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted")

# Not by partner: a partner's series moving as it answers would tell a reader of /metrics which
# partner holds a case (shared/metrics.py); the warning logged with each answer names the partner.
DEPRECATED_ANSWERS = Counter(
    "homeward_referral_deprecated_answers_total",
    "Partners' answers read on the deprecated shared topic referral.responses.v1 (which partner: the "
    "warning logged with each); a batch read again after a fault counts again",
)
REPEATED_ANSWERS = Counter(
    "homeward_referral_repeated_answers_total",
    "Partners' answers that repeated what the referral already was (a partner answering a referral it "
    "received again): applied as no change, never dead-lettered",
    ["answer"],
)
ANSWERS_AFTER_WITHDRAWAL = Counter(
    "homeward_referral_answers_after_withdrawal_total",
    "Partners' answers to a referral already withdrawn (the partner answered before the withdrawal "
    "reached it): applied as no change, never dead-lettered",
    ["answer"],
)
UNCHANGED_COUNTERS = {Unchanged.REPEAT: REPEATED_ANSWERS, Unchanged.WITHDRAWN: ANSWERS_AFTER_WITHDRAWAL}
UNCHANGED_MESSAGES = {
    Unchanged.REPEAT: "answer repeats the referral's state; nothing changed",
    Unchanged.WITHDRAWN: "answer to a referral already withdrawn; nothing changed",
}


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


@dataclass(frozen=True)
class Unapplied:
    """An answer that changed nothing, and why."""

    why: Unchanged
    event_type: str
    referral_id: UUID
    status: ReferralStatus


@dataclass
class AnswerNotes:
    """What one `apply_batch` call's answers did, by event id: an answer applied again after a
    rollback overwrites its own note. `report()` after the commit logs and counts each once."""

    unapplied: dict[UUID, Unapplied] = field(default_factory=dict)
    deprecated: dict[UUID, tuple[str, UUID]] = field(default_factory=dict)  # → (partner or unknown, referral)

    def report(self, context: ReferralContext, channel: AnswerChannel) -> None:
        for event_id, unapplied in self.unapplied.items():
            UNCHANGED_COUNTERS[unapplied.why].labels(unapplied.event_type).inc()
            log.info(
                UNCHANGED_MESSAGES[unapplied.why],
                event_id=str(event_id),
                event_type=unapplied.event_type,
                referral_id=str(unapplied.referral_id),
                status=unapplied.status.value,
                topic=channel.topic,
            )
        for event_id, (partner, referral_id) in self.deprecated.items():
            DEPRECATED_ANSWERS.inc()
            own = context.topics.partner_responses(partner).name if partner != UNKNOWN else "its own topic"
            log.warning(
                "answer on the deprecated shared topic; the partner should answer on its own topic",
                deprecated=True,
                event_id=str(event_id),
                partner_id=partner,
                referral_id=str(referral_id),
                topic=channel.topic,
                own_topic=own,
            )


UNKNOWN = "unknown"


async def apply_partner_responses(
    context: ReferralContext,
    channel: AnswerChannel,
    notes: AnswerNotes,
    connection: Connection,
    envelopes: list[Envelope],
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
                known = context.directory.partner(response.partner_id) is not None
                # the warning names a partner the directory holds, never any string a message carries
                label = response.partner_id if known else UNKNOWN
                notes.deprecated[envelope.event_id] = (label, response.referral_id)
            partner_id = channel.partner_id or response.partner_id
            unapplied = await _respond(context, book, envelope, response, partner_id, context.clock())
            if unapplied is not None:
                notes.unapplied[envelope.event_id] = unapplied
    await book.flush()


async def _respond(
    context: ReferralContext,
    book: CaseBook,
    envelope: Envelope,
    response: PartnerResponse,
    partner_id: str,
    now: datetime,
) -> Unapplied | None:
    """Apply one answer; what it was, if it changed nothing."""
    referral = book.referral(response.referral_id)
    case = book.case(referral.case_id) if referral is not None else None
    if case is None or referral is None:
        raise UnknownReferral(f"no referral {response.referral_id} is known")
    target = respond(referral.state, response, partner_id)
    if isinstance(target, Unchanged):
        return Unapplied(target, envelope.type, referral.referral_id, referral.state.status)
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
    return None


def _partner_response(envelope: Envelope, topic: str) -> PartnerResponse:
    if envelope.type not in RESPONSE_TYPES:
        raise UnexpectedEvent(
            f"{envelope.type} does not belong on {topic} (expected one of " + ", ".join(RESPONSE_TYPES) + ")"
        )
    return envelope.event_as(PartnerResponse)
