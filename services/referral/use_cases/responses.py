"""Partners' answers (`referral.responses.v1`), as referral applies them: the referral moves to
accepted, declined or completed — the status machine permitting, and only for the partner it was
sent to — and a declined one is re-routed at once to the next eligible partner, never back to one
that declined this case.

`apply_partner_responses` runs inside `shared.inbox.apply_batch`'s transaction, through one
CaseBook, in order. An answer that can never be applied raises a Poison (UnexpectedEvent,
UnknownReferral, WrongPartner, RefusedTransition, MalformedEvent) and is dead-lettered alone.
"""

from __future__ import annotations

from datetime import datetime

import structlog

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

RESPONSE_TYPES = ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted")


async def apply_partner_responses(
    context: ReferralContext, connection: Connection, envelopes: list[Envelope]
) -> None:
    responses = [(envelope, _partner_response(envelope)) for envelope in envelopes]
    book = CaseBook(connection)
    await book.load_referrals(response.referral_id for _, response in responses)
    for envelope, response in responses:
        with (
            structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id)),
            message_span(context.topics.referral_responses.name, envelope.event_id, envelope.type),
        ):
            await _respond(context, book, envelope, response, context.clock())
    await book.flush()


async def _respond(
    context: ReferralContext, book: CaseBook, envelope: Envelope, response: PartnerResponse, now: datetime
) -> None:
    referral = book.referral(response.referral_id)
    case = book.case(referral.case_id) if referral is not None else None
    if case is None or referral is None:
        raise UnknownReferral(f"no referral {response.referral_id} is known")
    target = respond(referral.state, response)
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


def _partner_response(envelope: Envelope) -> PartnerResponse:
    if envelope.type not in RESPONSE_TYPES:
        raise UnexpectedEvent(
            f"{envelope.type} does not belong on referral.responses.v1 (expected one of "
            + ", ".join(RESPONSE_TYPES)
            + ")"
        )
    return envelope.event_as(PartnerResponse)
