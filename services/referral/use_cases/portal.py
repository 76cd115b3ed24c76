"""The partner portal's use cases: a partner's staff read their partner's open referrals, each as
its topic carried it, and answer one (issue 15, point 4).

`user` is the signed-in partner user; their partner is `user.partner_id` (the session's), never a
form field. Another partner's referral — or one that does not exist, or is no longer open — is
`NotFound` alike, so the portal never confirms that a referral id exists. An answer is written as
the partner's event to the partner's own answer topic through referral's outbox, in one
transaction with the record of who sent it and the access log; referral's consumer applies it
exactly as it applies a Kafka partner's (`responses.py`): one path, one contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.referral.core.portal import (
    SHOWN,
    Answer,
    AnswerProblem,
    NotFound,
    Standing,
    answer_envelope,
    answers_for,
    as_sent,
    partner_response,
    standing,
)
from services.referral.core.referral import Referral
from services.referral.store import portal as store
from shared import access_log, outbox
from shared.db import Pool, transaction
from shared.events.referral import ReferralIssued
from shared.identity.model import Role, User
from shared.privacy import Action, Actor

from .context import ReferralContext

# the most referrals the portal lists at once (a partner holds at most its capacity open)
LIST_LIMIT = 500


class NotPartnerStaff(PermissionError):
    """The user acts for no partner of the directory (the role, or a partner since removed)."""


@dataclass(frozen=True)
class PortalReferral:
    """A referral as its partner's staff see it: what was sent, and what they may answer now."""

    sent: ReferralIssued
    accepted: bool  # else awaiting the partner's answer (issued, or escalated)
    answers: list[Answer]  # empty while an answer sent from the portal is on its way
    answer_pending: bool


def partner_of(context: ReferralContext, user: User) -> str:
    """The partner `user` acts for, if it is in the directory (fails closed)."""
    partner_id = user.partner_id
    if user.role is not Role.PARTNER or partner_id is None or context.directory.partner(partner_id) is None:
        raise NotPartnerStaff(f"user {user.name} acts for no partner of the directory")
    return partner_id


def _shown(referral: Referral, pending: set[UUID]) -> PortalReferral:
    waiting = referral.referral_id in pending
    return PortalReferral(
        sent=as_sent(referral),
        accepted=standing(referral) is Standing.ACCEPTED,
        answers=[] if waiting else answers_for(referral),
        answer_pending=waiting,
    )


async def open_referrals(pool: Pool, context: ReferralContext, user: User) -> list[PortalReferral]:
    partner_id = partner_of(context, user)
    found = await store.partner_referrals(pool, partner_id, SHOWN, LIST_LIMIT)
    await access_log.record(pool, Actor.of(user), Action.LIST, (r.case_id for r in found))
    pending = await store.pending_answers(pool, found)
    return [_shown(r, pending) for r in found]


async def open_referral(
    pool: Pool, context: ReferralContext, user: User, referral_id: UUID
) -> PortalReferral:
    partner_id = partner_of(context, user)
    referral = await store.partner_referral(pool, partner_id, referral_id)
    if referral is None or referral.status not in SHOWN:
        raise NotFound(f"no referral {referral_id}")
    await access_log.record(pool, Actor.of(user), Action.READ, [referral.case_id])
    return _shown(referral, await store.pending_answers(pool, [referral]))


async def answer(
    pool: Pool, context: ReferralContext, user: User, referral_id: UUID, given: Answer, text: str
) -> UUID:
    """Send `given` (with a decline's reason or a completion's outcome) as the user's partner;
    the event's id. NotFound as above; AnswerProblem when the referral does not take this answer
    now (or one is on its way) or the text is missing or too long — nothing is sent then."""
    partner_id = partner_of(context, user)
    async with transaction(pool) as connection:
        referral = await store.partner_referral(connection, partner_id, referral_id, lock=True)
        if referral is None or referral.status not in SHOWN:
            raise NotFound(f"no referral {referral_id}")
        if await store.pending_answers(connection, [referral]):
            raise AnswerProblem("answer", "pending")
        response = partner_response(referral, partner_id, given, text)
        envelope = answer_envelope(referral, response, context.clock())
        await outbox.append(connection, context.topics.partner_responses(partner_id), envelope)
        await store.record_answer(connection, envelope.event_id, referral, given, user.id)
        await access_log.record(connection, Actor.of(user), Action.ANSWER, [referral.case_id])
    return envelope.event_id
