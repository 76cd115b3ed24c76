"""The referral status machine: the moves it allows, and the reasons it gives for the others."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from services.referral.core.errors import RefusedTransition, WrongPartner
from services.referral.core.status import ALLOWED, ReferralState, Unchanged, move, respond, to_withdraw
from shared.events import Category, ReferralStatus
from shared.events.referral import PartnerResponse, ReferralAccepted, ReferralCompleted, ReferralDeclined

S = ReferralStatus
CASE = uuid4()


def state(
    status: ReferralStatus, partner: str | None = "vardar", category: Category = Category.HOUSING
) -> ReferralState:
    return ReferralState(UUID(int=1), CASE, category, partner, status)


def accepted(partner: str = "vardar", case: UUID = CASE) -> ReferralAccepted:
    return ReferralAccepted(referral_id=UUID(int=1), case_id=case, partner_id=partner)


def declined() -> ReferralDeclined:
    return ReferralDeclined(referral_id=UUID(int=1), case_id=CASE, partner_id="vardar", reason="full")


def completed() -> ReferralCompleted:
    return ReferralCompleted(referral_id=UUID(int=1), case_id=CASE, partner_id="vardar", outcome="housed")


@pytest.mark.parametrize(
    ("current", "response", "expected"),
    [
        (S.ISSUED, accepted(), S.ACCEPTED),
        (S.ISSUED, declined(), S.DECLINED),
        (S.ACCEPTED, completed(), S.COMPLETED),
        (S.ESCALATED, accepted(), S.ACCEPTED),
        (S.ESCALATED, declined(), S.DECLINED),
    ],
)
def test_the_partner_moves_a_referral_along(
    current: ReferralStatus, response: PartnerResponse, expected: ReferralStatus
) -> None:
    assert respond(state(current), response, "vardar") is expected


@pytest.mark.parametrize(
    ("current", "response"),
    [
        (S.ACCEPTED, accepted()),  # accepted twice
        (S.COMPLETED, completed()),  # completed twice
        (S.COMPLETED, accepted()),  # accept, complete, then the acceptance read again
        (S.DECLINED, declined()),  # declined twice: no second re-routing either
    ],
)
def test_an_answer_that_repeats_the_referrals_state_changes_nothing(
    current: ReferralStatus, response: PartnerResponse
) -> None:
    assert respond(state(current), response, "vardar") is Unchanged.REPEAT


@pytest.mark.parametrize("response", [accepted(), declined(), completed()])
def test_an_answer_after_the_referral_was_withdrawn_changes_nothing(response: PartnerResponse) -> None:
    # the returnee arrived, or the case closed, while the partner was deciding
    assert respond(state(S.WITHDRAWN), response, "vardar") is Unchanged.WITHDRAWN
    # only for the partner it was sent to, about its own case
    with pytest.raises(WrongPartner):
        respond(state(S.WITHDRAWN), accepted(partner="intruder"), "intruder")
    with pytest.raises(RefusedTransition, match="does not belong to case"):
        respond(state(S.WITHDRAWN), accepted(case=uuid4()), "vardar")


@pytest.mark.parametrize(
    ("current", "response"),
    [
        (S.DECLINED, completed()),
        (S.DECLINED, accepted()),
        (S.ISSUED, completed()),
        (S.ACCEPTED, declined()),
        (S.COMPLETED, declined()),
        (S.ESCALATED, completed()),
    ],
)
def test_an_impossible_move_is_refused_with_the_reason(
    current: ReferralStatus, response: PartnerResponse
) -> None:
    with pytest.raises(RefusedTransition, match=f"is {current.value}: it cannot become"):
        respond(state(current), response, "vardar")


def test_a_response_from_another_partner_is_refused() -> None:
    with pytest.raises(
        WrongPartner, match="was not sent to partner 'intruder' \\(it was sent to 'vardar'\\)"
    ):
        respond(state(S.ISSUED), accepted(partner="intruder"), "intruder")
    with pytest.raises(WrongPartner, match="it is not placed"):
        respond(state(S.UNPLACED, partner=None), accepted(), "vardar")
    # a repeat is only a repeat for the partner the referral was sent to
    with pytest.raises(WrongPartner, match="was not sent to partner 'intruder'"):
        respond(state(S.ACCEPTED), accepted(partner="intruder"), "intruder")


def test_who_answered_is_the_channels_partner_never_the_message() -> None:
    # intruder, on its own topic, names vardar in the message: the channel says intruder
    with pytest.raises(
        WrongPartner, match="the answer names partner 'vardar' but came from partner 'intruder'"
    ):
        respond(state(S.ISSUED), accepted(partner="vardar"), "intruder")


def test_a_response_naming_another_case_is_refused() -> None:
    with pytest.raises(RefusedTransition, match="does not belong to case"):
        respond(state(S.ISSUED), accepted(case=uuid4()), "vardar")


def test_final_states_allow_nothing_and_escalation_only_comes_from_issued() -> None:
    assert all(not ALLOWED[s] for s in (S.DECLINED, S.COMPLETED, S.WITHDRAWN))
    assert [s for s, targets in ALLOWED.items() if S.ESCALATED in targets] == [S.ISSUED]
    with pytest.raises(RefusedTransition):
        move(state(S.ESCALATED), S.ESCALATED)  # escalated once, never twice


def test_withdrawals_follow_lost_consent_and_removed_needs() -> None:
    referrals = [
        ReferralState(UUID(int=1), CASE, Category.HOUSING, "vardar", S.ACCEPTED),
        ReferralState(UUID(int=2), CASE, Category.EMPLOYMENT, "skills", S.ISSUED),
        ReferralState(UUID(int=3), CASE, Category.MEDICAL, None, S.UNPLACED),
        ReferralState(UUID(int=4), CASE, Category.COUNSELLING, "stone", S.COMPLETED),
        ReferralState(UUID(int=5), CASE, Category.EDUCATION, None, S.NEEDS_CONSENT),
    ]
    ending = to_withdraw(
        referrals,
        needs=[Category.HOUSING, Category.EMPLOYMENT, Category.EDUCATION],
        consent={Category.HOUSING: False, Category.EMPLOYMENT: True},
    )
    assert [(w.referral_id.int, w.reason) for w in ending] == [(1, "consent_withdrawn"), (3, "need_removed")]
