"""The partner portal's rules, pure: what a partner's staff see (what was sent), which answers a
referral takes, and the envelope an answer travels in (as a Kafka partner's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.referral.core.portal import (
    MAX_TEXT,
    Answer,
    AnswerProblem,
    Standing,
    answer_envelope,
    answers_for,
    as_sent,
    partner_response,
    standing,
)
from services.referral.core.referral import Referral
from shared.events import Category, Priority, ReferralStatus
from shared.events.referral import ReferralAccepted, ReferralCompleted, ReferralDeclined

S = ReferralStatus
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def referral(status: ReferralStatus = S.ISSUED, partner_id: str | None = "kumanovo-homes") -> Referral:
    return Referral(
        referral_id=uuid4(),
        case_id=uuid4(),
        category=Category.HOUSING,
        partner_id=partner_id,
        status=status,
        priority=Priority.HIGH,
        payload={"household_size": 2, "ages": [31, 10], "municipality": "kumanovo", "vulnerabilities": []},
        respond_by=NOW + timedelta(hours=72),
        correlation_id=uuid4(),
        issued_event_id=uuid4(),
        previous_referral_id=None,
        reason=None,
        created_at=NOW,
        updated_at=NOW,
    )


def test_what_the_partner_sees_is_the_referral_issued_it_was_sent() -> None:
    sent = referral()
    issued = as_sent(sent)
    assert issued.model_dump() == {
        "referral_id": sent.referral_id,
        "case_id": sent.case_id,
        "partner_id": "kumanovo-homes",
        "category": Category.HOUSING,
        "priority": Priority.HIGH,
        "respond_by": sent.respond_by,
        "payload": sent.payload,
    }
    with pytest.raises(LookupError):
        as_sent(referral(S.UNPLACED, partner_id=None))


@pytest.mark.parametrize(
    ("status", "answers", "seen"),
    [
        (S.ISSUED, [Answer.ACCEPT, Answer.DECLINE], Standing.AWAITING_ANSWER),
        # escalation is not the partner's to know: it still awaits their answer, and takes it
        (S.ESCALATED, [Answer.ACCEPT, Answer.DECLINE], Standing.AWAITING_ANSWER),
        (S.ACCEPTED, [Answer.COMPLETE], Standing.ACCEPTED),
    ],
)
def test_an_open_referral_takes_the_answers_the_status_machine_allows(
    status: ReferralStatus, answers: list[Answer], seen: Standing
) -> None:
    assert answers_for(referral(status)) == answers
    assert standing(referral(status)) is seen


@pytest.mark.parametrize("status", [S.DECLINED, S.COMPLETED, S.WITHDRAWN, S.UNPLACED, S.NEEDS_CONSENT])
def test_a_referral_no_longer_open_takes_no_answer(status: ReferralStatus) -> None:
    assert answers_for(referral(status)) == []
    for given in Answer:
        with pytest.raises(AnswerProblem) as refused:
            partner_response(referral(status), "kumanovo-homes", given, "words")
        assert (refused.value.field, refused.value.message) == ("answer", "not_now")


def test_each_answer_is_the_partners_event_with_its_words() -> None:
    open_one, accepted = referral(), referral(S.ACCEPTED)
    assert isinstance(partner_response(open_one, "kumanovo-homes", Answer.ACCEPT, ""), ReferralAccepted)
    declined = partner_response(open_one, "kumanovo-homes", Answer.DECLINE, "  no family rooms free ")
    assert isinstance(declined, ReferralDeclined)
    assert declined.reason == "no family rooms free"
    completed = partner_response(accepted, "kumanovo-homes", Answer.COMPLETE, "placed")
    assert isinstance(completed, ReferralCompleted)
    assert (completed.outcome, completed.partner_id, completed.case_id) == (
        "placed",
        "kumanovo-homes",
        accepted.case_id,
    )


@pytest.mark.parametrize(
    ("given", "text", "field", "why"),
    [
        (Answer.DECLINE, "", "reason", "missing"),
        (Answer.DECLINE, "   ", "reason", "missing"),
        (Answer.DECLINE, "x" * (MAX_TEXT + 1), "reason", "too_long"),
        (Answer.COMPLETE, "", "outcome", "missing"),
    ],
)
def test_a_decline_needs_a_reason_and_a_completion_an_outcome(
    given: Answer, text: str, field: str, why: str
) -> None:
    status = S.ACCEPTED if given is Answer.COMPLETE else S.ISSUED
    with pytest.raises(AnswerProblem) as refused:
        partner_response(referral(status), "kumanovo-homes", given, text)
    assert (refused.value.field, refused.value.message) == (field, why)


def test_another_partners_referral_is_never_answered() -> None:
    from services.referral.core.errors import WrongPartner

    with pytest.raises(WrongPartner):
        partner_response(referral(), "skopje-homes-a", Answer.ACCEPT, "")


def test_the_answer_travels_as_a_kafka_partners_does() -> None:
    sent = referral()
    response = partner_response(sent, "kumanovo-homes", Answer.ACCEPT, "")
    envelope = answer_envelope(sent, response, NOW)
    assert envelope.type == "ReferralAccepted"
    assert envelope.correlation_id == sent.correlation_id  # the referral's conversation
    assert envelope.causation_id == sent.issued_event_id  # caused by the ReferralIssued it answers
    assert envelope.producer == "kumanovo-homes"
    assert envelope.key == str(sent.case_id)
    assert envelope.occurred_at == NOW
    assert envelope.event() == response
