"""The partner portal's rules, pure: what a partner's staff see of a referral and how their answer
is made (issue 15, point 4).

A partner without a Kafka consumer reads on the portal exactly what its topic carried — the
ReferralIssued that was sent, rebuilt from the referral as referral stored it when it sent it (the
same columns the event was made from), never recomputed from the case — and answers with the very
event a Kafka partner writes on its own answer topic: ReferralAccepted, ReferralDeclined or
ReferralCompleted, in an envelope whose correlation id is the referral's conversation, whose
causation id is the ReferralIssued being answered, and whose producer is the partner. The partner
is the portal session's (the user's `partner_id`), never the form's.

Which answers a referral takes follows the status machine (`status.respond`): an open referral
awaiting an answer (issued, or escalated: its deadline passed, still answerable) may be accepted
or declined, an accepted one completed. Escalation is not the partner's to know (its topic never
carries it): both read as awaiting the partner's answer, with the deadline it was sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.events import Envelope, ReferralStatus, new_envelope
from shared.events.referral import (
    PartnerResponse,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralIssued,
)

from .referral import Referral
from .status import Unchanged, respond

S = ReferralStatus

# the referrals a partner's staff see: those their partner holds (it was sent them and they are
# not over); a declined, completed or withdrawn one is gone from the portal as from the partner's work
SHOWN = frozenset({S.ISSUED, S.ESCALATED, S.ACCEPTED})
# the longest reason or outcome a partner may write (free text: kept by referral until erasure)
MAX_TEXT = 500


class Answer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    COMPLETE = "complete"


class Standing(StrEnum):
    """Where a referral stands as its partner may know it."""

    AWAITING_ANSWER = "awaiting_answer"  # issued or escalated
    ACCEPTED = "accepted"


def standing(referral: Referral) -> Standing:
    return Standing.ACCEPTED if referral.status is S.ACCEPTED else Standing.AWAITING_ANSWER


def answers_for(referral: Referral) -> list[Answer]:
    """The answers the referral takes now, in the order the page offers them."""
    if referral.status in (S.ISSUED, S.ESCALATED):
        return [Answer.ACCEPT, Answer.DECLINE]
    if referral.status is S.ACCEPTED:
        return [Answer.COMPLETE]
    return []


def as_sent(referral: Referral) -> ReferralIssued:
    """The ReferralIssued the partner's topic carried for this referral, from what referral stored
    when it sent it. A referral never sent (no partner, no deadline) has none: LookupError."""
    if referral.partner_id is None or referral.respond_by is None or referral.issued_event_id is None:
        raise LookupError(f"referral {referral.referral_id} was never sent to a partner")
    return ReferralIssued(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        partner_id=referral.partner_id,
        category=referral.category,
        priority=referral.priority,
        respond_by=referral.respond_by,
        payload=referral.payload,
    )


class NotFound(LookupError):
    """No such referral for this partner: not there, not theirs, or no longer open (alike)."""


class AnswerProblem(ValueError):
    """The answer cannot be sent: `field` (the form's) and why."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def text_problem(answer: Answer, text: str) -> str | None:
    """What is wrong with a decline's reason or a completion's outcome (None: nothing)."""
    if answer is Answer.ACCEPT:
        return None
    if not text.strip():
        return "missing"
    if len(text) > MAX_TEXT:
        return "too_long"
    return None


def partner_response(referral: Referral, partner_id: str, answer: Answer, text: str) -> PartnerResponse:
    """The event `partner_id` answers with, after checking the status machine takes it: a refused
    answer is never sent (it would only be dead-lettered). Raises AnswerProblem."""
    if answer not in answers_for(referral):
        raise AnswerProblem("answer", "not_now")
    problem = text_problem(answer, text)
    if problem is not None:
        raise AnswerProblem("reason" if answer is Answer.DECLINE else "outcome", problem)
    ids = {"referral_id": referral.referral_id, "case_id": referral.case_id, "partner_id": partner_id}
    response: PartnerResponse
    if answer is Answer.ACCEPT:
        response = ReferralAccepted(**ids)
    elif answer is Answer.DECLINE:
        response = ReferralDeclined(**ids, reason=text.strip())
    else:
        response = ReferralCompleted(**ids, outcome=text.strip())
    # the very check referral applies when the answer arrives: only its own partner's, a move allowed
    if isinstance(respond(referral.state, response, partner_id), Unchanged):
        raise AnswerProblem("answer", "not_now")
    return response


def answer_envelope(referral: Referral, response: PartnerResponse, now: datetime) -> Envelope:
    """The envelope a partner's answer travels in: the referral's conversation, caused by the
    ReferralIssued it answers, produced by the partner, keyed by the case."""
    if referral.issued_event_id is None:
        raise LookupError(f"referral {referral.referral_id} was never sent to a partner")
    envelope = new_envelope(
        response,
        key=referral.case_id,
        producer=response.partner_id,
        correlation_id=referral.correlation_id,
        occurred_at=now,
    )
    return envelope.model_copy(update={"causation_id": referral.issued_event_id})
