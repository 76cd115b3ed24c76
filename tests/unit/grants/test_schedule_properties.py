"""Properties of every schedule, over random programmes and plans (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from services.grants.core.policies import Programme
from services.grants.core.schedule import (
    GrantSchedule,
    PlanNotFundable,
    cash_limit,
    effective_plan,
    granted_amounts,
    installment_schedule,
    is_vulnerable,
    person_ceiling,
    share_of_ceiling,
)
from shared.events.codes import AssistanceType, Milestone, category_of
from shared.events.intake import ReintegrationPlanApproved
from shared.money import Money

from .strategies import programme_and_plan

APPROVED = date(2025, 6, 1)


def schedule_or_none(programme: Programme, plan: ReintegrationPlanApproved) -> GrantSchedule | None:
    try:
        return installment_schedule(uuid4(), plan, programme, APPROVED)
    except PlanNotFundable:
        return None


def requested(plan: ReintegrationPlanApproved) -> dict[AssistanceType, int]:
    asked: dict[AssistanceType, int] = defaultdict(int)
    for item in plan.assistance:
        asked[item.assistance_type] += item.requested.amount
    return asked


@settings(max_examples=250)
@given(programme_and_plan())
def test_the_total_never_exceeds_the_ceiling_and_the_installments_add_up_to_it(case) -> None:  # type: ignore[no-untyped-def]
    programme, plan = case
    schedule = schedule_or_none(programme, plan)
    if schedule is None:  # refused only when nothing at all could be granted
        _, granted, _ = granted_amounts(plan, programme)
        assert sum(m.amount for m in granted.values()) == 0
        return
    assert schedule.total <= schedule.ceiling
    assert sum(i.amount.amount for i in schedule.installments) == schedule.total.amount
    assert sum(m.amount for m in schedule.granted.values()) == schedule.total.amount
    assert all(i.amount.amount > 0 and i.amount.currency == programme.currency for i in schedule.installments)
    assert [i.sequence for i in schedule.installments] == list(range(1, len(schedule.installments) + 1))
    assert len({i.installment_id for i in schedule.installments}) == len(schedule.installments)


@settings(max_examples=250)
@given(programme_and_plan())
def test_each_type_gets_at_most_what_was_asked_its_max_and_the_cash_cap(case) -> None:  # type: ignore[no-untyped-def]
    programme, plan = case
    schedule = schedule_or_none(programme, plan)
    if schedule is None:
        return
    asked = requested(plan)
    within = 0
    for assistance_type, granted in schedule.granted.items():
        rule = programme.funds[assistance_type]  # an unfunded type is never granted
        assert granted.amount <= asked[assistance_type]
        if rule.max is not None:
            assert granted <= programme.money(rule.max)
        if assistance_type is AssistanceType.CASH and programme.cash_cap is not None:
            assert granted <= programme.money(programme.cash_cap)
        cash = cash_limit(plan, programme)
        if assistance_type is AssistanceType.CASH and cash is not None:
            assert granted <= cash[0]
        if rule.requires_need and plan.needs is not None:  # a type funded for its need only
            assert category_of(assistance_type) in plan.needs
        if not rule.beyond_ceiling:
            within += granted.amount
    assert within <= person_ceiling(plan, programme).amount


@settings(max_examples=250)
@given(programme_and_plan())
def test_each_type_is_split_by_its_plan_with_the_remainder_on_its_last_part(case) -> None:  # type: ignore[no-untyped-def]
    programme, plan = case
    schedule = schedule_or_none(programme, plan)
    if schedule is None:
        return
    advance = bool(
        programme.vulnerable and programme.vulnerable.advance_waiting_parts and is_vulnerable(plan, programme)
    )
    for assistance_type, granted in schedule.granted.items():
        parts = effective_plan(programme.plan_for(assistance_type), advance)
        mine = {
            (i.milestone, i.days_after_arrival, i.visit, i.min_composite, i.category): i
            for i in schedule.installments
            if i.assistance_type == assistance_type
        }
        for index, part in enumerate(parts):
            paid = mine.get((part.milestone, part.days, part.visit, part.min_composite, part.category))
            exact_floor = granted.amount * part.share // 100
            if index < len(parts) - 1:
                assert (paid.amount.amount if paid else 0) == exact_floor
            else:
                assert (paid.amount.amount if paid else 0) >= exact_floor
            if paid is not None:
                assert (
                    paid.due_on
                    == {
                        Milestone.ON_APPROVAL: APPROVED,
                        Milestone.DAYS_AFTER_ARRIVAL: plan.arrival_date + timedelta(days=part.days or 0),
                    }.get(part.milestone)  # the others wait for a verification or an outcome
                )


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=8), st.integers(0, 10**9))
def test_sharing_a_ceiling_is_exact_and_never_grows_a_part(amounts, ceiling) -> None:  # type: ignore[no-untyped-def]
    shared = share_of_ceiling(amounts, ceiling)
    assert sum(shared) == min(sum(amounts), ceiling)
    assert all(0 <= s <= a for s, a in zip(shared, amounts, strict=True))


def test_money_split_is_what_installments_rely_on() -> None:
    assert [m.amount for m in Money(amount=1, currency="EUR").split([50, 50])] == [0, 1]
