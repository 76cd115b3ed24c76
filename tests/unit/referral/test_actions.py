"""A caseworker's actions on a referral and the automatic re-route, as pure rules (core/actions.py)
and the events they cause (core/events.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.referral.core import actions as rules
from services.referral.core.directory import Directory
from services.referral.core.errors import RefusedTransition
from services.referral.core.events import Occasion, held, moved, placed, released
from services.referral.core.payloads import payload_for
from services.referral.core.referral import Case, Referral
from services.referral.core.routing import candidates
from shared.events import Category, Priority, ReferralStatus
from shared.events.intake import CaseFacts
from shared.events.referral import ReferralHeld, ReferralReleased, ReferralStatusChanged, ReferralWithdrawn

from .factories import directory, facts, partner
from .test_routing_properties import PARTNER_IDS, case_facts, directories, loads_strategy

S = ReferralStatus
H = Category.HOUSING
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE_FACTS = facts(needs=[H])
CASE = Case(CASE_FACTS, closed=False)
DIRECTORY = directory(
    partner("homes-a", H),
    partner("homes-b", H),
    partner("homes-c", H),
    partner("ohrid-homes", H, municipalities=("ohrid",)),
    partner("full-homes", H, capacity=1),
)
LOADS = {("full-homes", H): 1}


def referral(
    status: ReferralStatus = S.ISSUED,
    partner_id: str | None = "homes-a",
    *,
    reason: str | None = None,
    respond_by: datetime | None = NOW,
    held_at: datetime | None = None,
) -> Referral:
    return Referral(
        referral_id=uuid4(),
        case_id=CASE_FACTS.case_id,
        category=H,
        partner_id=partner_id,
        status=status,
        priority=Priority.NORMAL,
        payload={},
        respond_by=respond_by,
        correlation_id=uuid4(),
        issued_event_id=uuid4() if partner_id else None,
        previous_referral_id=None,
        reason=reason,
        created_at=NOW,
        updated_at=NOW,
        held_by=uuid4() if held_at else None,
        held_at=held_at,
    )


def eligible_ids(target: Referral, others: list[Referral], case: Case = CASE) -> list[str]:
    return [p.id for p in rules.eligible_partners(case, target, others, DIRECTORY, LOADS)]


def test_eligible_partners_follow_routing_and_leave_out_the_holder_and_those_that_declined() -> None:
    current = referral(S.ISSUED, "homes-a")
    declined_before = referral(S.DECLINED, "homes-b")
    # not homes-a (holds it), not homes-b (declined this case), not ohrid (another municipality),
    # not full-homes (no place left)
    assert eligible_ids(current, [declined_before, current]) == ["homes-c"]
    assert eligible_ids(current, [current]) == ["homes-b", "homes-c"]


def test_an_unplaced_referral_may_go_to_any_eligible_partner() -> None:
    pending = referral(S.UNPLACED, None, respond_by=None)
    assert eligible_ids(pending, [pending]) == ["homes-a", "homes-b", "homes-c"]


@pytest.mark.parametrize("status", [S.DECLINED, S.COMPLETED, S.WITHDRAWN, S.NEEDS_CONSENT])
def test_a_final_or_consent_waiting_referral_goes_nowhere(status: ReferralStatus) -> None:
    with pytest.raises(RefusedTransition, match=status.value):
        eligible_ids(referral(status), [])


def test_a_closed_case_or_a_withdrawn_consent_places_nothing() -> None:
    with pytest.raises(RefusedTransition, match="closed"):
        eligible_ids(referral(), [], Case(CASE_FACTS, closed=True))
    no_consent = Case(CASE_FACTS.model_copy(update={"consent": {H: False}}), closed=False)
    with pytest.raises(RefusedTransition, match="consented"):
        eligible_ids(referral(), [], no_consent)


def test_a_partner_not_on_the_list_is_refused_with_the_reason() -> None:
    partners = rules.eligible_partners(CASE, referral(), [], DIRECTORY, LOADS)
    assert rules.chosen(partners, "homes-b").id == "homes-b"
    for outside in ("homes-a", "ohrid-homes", "full-homes", "nobody"):
        with pytest.raises(RefusedTransition, match="may not take this referral"):
            rules.chosen(partners, outside)


def test_the_placement_carries_routings_payload_priority_and_deadline() -> None:
    placement = rules.placement_with(DIRECTORY.partners[1], CASE, H, NOW)
    assert (placement.status, placement.partner_id) == (S.ISSUED, "homes-b")
    assert placement.respond_by == NOW + timedelta(hours=48)
    assert placement.priority is Priority.NORMAL
    assert placement.payload  # the housing payload routing would send


@pytest.mark.parametrize("status", [S.ISSUED, S.ESCALATED, S.ACCEPTED, S.UNPLACED, S.NEEDS_CONSENT])
def test_a_referral_not_final_may_be_withdrawn(status: ReferralStatus) -> None:
    rules.check_withdraw(referral(status))


@pytest.mark.parametrize("status", [S.DECLINED, S.COMPLETED, S.WITHDRAWN])
def test_a_final_referral_is_not_withdrawn(status: ReferralStatus) -> None:
    with pytest.raises(RefusedTransition, match="no longer be withdrawn"):
        rules.check_withdraw(referral(status))


def test_reroute_needs_a_partner_holding_it_and_placing_needs_an_unplaced_one() -> None:
    rules.check_reroute(referral(S.ESCALATED))
    with pytest.raises(RefusedTransition, match="only one a partner holds"):
        rules.check_reroute(referral(S.UNPLACED, None))
    rules.check_place(referral(S.UNPLACED, None))
    with pytest.raises(RefusedTransition, match="only an unplaced one"):
        rules.check_place(referral(S.ISSUED))


def test_only_an_escalated_referral_is_held_and_only_a_held_one_released() -> None:
    rules.check_hold(referral(S.ESCALATED))
    with pytest.raises(RefusedTransition, match="only an escalated"):
        rules.check_hold(referral(S.ISSUED))
    with pytest.raises(RefusedTransition, match="already held"):
        rules.check_hold(referral(S.ESCALATED, held_at=NOW))
    rules.check_release(referral(S.ESCALATED, held_at=NOW))
    with pytest.raises(RefusedTransition, match="not held"):
        rules.check_release(referral(S.ESCALATED))


def test_partners_that_declined_or_did_not_answer_are_passed_over_automatically() -> None:
    others = [
        referral(S.DECLINED, "homes-a"),
        referral(S.WITHDRAWN, "homes-b", reason=rules.NO_ANSWER_REROUTED),
        referral(S.WITHDRAWN, "homes-c", reason=rules.WithdrawReason.PARTNER_UNRESPONSIVE.value),
        referral(S.WITHDRAWN, "ohrid-homes", reason=rules.REROUTED),  # the caseworker chose another
    ]
    assert rules.passed_over(others, H) == {"homes-a", "homes-b", "homes-c"}
    assert rules.passed_over(others, Category.EDUCATION) == set()


AFTER = timedelta(hours=48)


@given(
    status=st.sampled_from(list(S)),
    held_for=st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9))),
    since_deadline=st.timedeltas(min_value=timedelta(days=-9), max_value=timedelta(days=9)),
)
def test_only_an_escalated_unheld_referral_past_its_second_deadline_is_rerouted(
    status: ReferralStatus, held_for: timedelta | None, since_deadline: timedelta
) -> None:
    deadline = NOW - since_deadline
    target = referral(status, respond_by=deadline, held_at=NOW - held_for if held_for is not None else None)
    expected = status is S.ESCALATED and held_for is None and since_deadline >= AFTER
    assert rules.reroute_due(target, NOW, AFTER) is expected


def test_a_withdrawal_by_a_caseworker_tells_the_partner_and_the_timeline_its_reason() -> None:
    change = moved(Occasion(NOW), referral(S.ACCEPTED), S.WITHDRAWN, rules.WithdrawReason.WRONG_CATEGORY)
    withdrawn, status = (m.envelope.event() for m in change.messages)
    assert isinstance(withdrawn, ReferralWithdrawn)
    assert withdrawn.reason == "wrong_category"
    assert change.messages[0].partner_id == "homes-a"
    assert isinstance(status, ReferralStatusChanged)
    assert (status.status, status.previous_status, status.reason) == (
        S.WITHDRAWN,
        S.ACCEPTED,
        "wrong_category",
    )


def test_an_unplaced_referral_withdrawn_tells_no_partner() -> None:
    change = moved(Occasion(NOW), referral(S.UNPLACED, None), S.WITHDRAWN, "other")
    assert [m.partner_id for m in change.messages] == [None]


def test_a_placement_by_hand_issues_it_and_says_so_on_the_status_topic() -> None:
    pending = referral(S.UNPLACED, None, respond_by=None)
    placement = rules.placement_with(DIRECTORY.partners[2], CASE, H, NOW)
    change = placed(Occasion(NOW), pending, placement, "placed_by_hand")
    issued, status = change.messages
    assert issued.partner_id == "homes-c"
    assert issued.envelope.type == "ReferralIssued"
    event = status.envelope.event()
    assert isinstance(event, ReferralStatusChanged)
    assert (event.status, event.previous_status, event.reason) == (S.ISSUED, S.UNPLACED, "placed_by_hand")
    assert change.after.referral_id == pending.referral_id


def test_hold_and_release_go_to_the_status_topic_only() -> None:
    escalated = referral(S.ESCALATED)
    by = uuid4()
    hold = held(Occasion(NOW), escalated, by)
    assert (hold.after.held_by, hold.after.held_at, hold.after.status) == (by, NOW, S.ESCALATED)
    [message] = hold.messages
    assert message.partner_id is None
    assert isinstance(message.envelope.event(), ReferralHeld)
    release = released(Occasion(NOW), replace(hold.after))
    assert (release.after.held_by, release.after.held_at) == (None, None)
    [message] = release.messages
    assert message.partner_id is None
    assert isinstance(message.envelope.event(), ReferralReleased)


@settings(max_examples=150, deadline=None)
@given(
    facts_=case_facts,
    directory_=directories(),
    loads=loads_strategy,
    category=st.sampled_from(Category),
    holder=st.sampled_from(PARTNER_IDS),
    decliners=st.sets(st.sampled_from(PARTNER_IDS), max_size=3),
)
def test_the_eligible_list_is_what_routing_would_take_less_the_holder_and_the_decliners(
    facts_: CaseFacts,
    directory_: Directory,
    loads: dict[tuple[str, Category], int],
    category: Category,
    holder: str,
    decliners: set[str],
) -> None:
    case = Case(facts_.model_copy(update={"consent": {category: True}}), closed=False)
    current = replace(referral(S.ISSUED, holder), case_id=facts_.case_id, category=category)
    others = [replace(referral(S.DECLINED, p), case_id=facts_.case_id, category=category) for p in decliners]
    eligible = rules.eligible_partners(case, current, [*others, current], directory_, loads)
    allowed = [p.id for p in candidates(directory_, case.facts, category, loads)]
    # routing's choice and order, less the holder and those that declined
    assert [p.id for p in eligible] == [p for p in allowed if p != holder and p not in decliners]
    for chosen_partner in eligible:
        placement = rules.placement_with(chosen_partner, case, category, NOW)
        assert placement.payload == payload_for(category, case.facts)  # what routing would send
