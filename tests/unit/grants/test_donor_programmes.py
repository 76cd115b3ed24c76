"""Every donor government's programme in the demo policy file: each produces schedules exact to the
minor unit in its own currency (hypothesis), and each new rule shape — a family ceiling, cash per
person, a type funded only for its need — does what the file says."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.grants.core.policies import PaidTo
from services.grants.core.schedule import PlanNotFundable, installment_schedule, person_ceiling
from shared.events.codes import AssistanceType as T
from shared.events.codes import Category, Milestone, Vulnerability
from shared.money import MINOR_UNITS, Money

from .builders import demo_policies, plan
from .strategies import plans_for

POLICIES = demo_policies()
APPROVED = date(2025, 3, 10)
NO, FI, BE, IT = (POLICIES.programme(p) for p in ("NO-VARP", "FI-AVRR", "BE-FEDASIL", "IT-RVAR"))


def nok(major: int) -> Money:
    return Money(amount=major * 100, currency="NOK")


def eur(major: int) -> Money:
    return Money(amount=major * 100, currency="EUR")


@pytest.mark.parametrize("programme_id", [p.id for p in POLICIES.programmes])
@settings(max_examples=150, deadline=None)  # a loaded machine is no failure
@given(data=st.data())
def test_every_donors_schedule_is_exact_to_the_minor_unit_in_its_currency(
    programme_id: str, data: st.DataObject
) -> None:
    programme = POLICIES.programme(programme_id)
    approved = data.draw(plans_for(programme))
    try:
        schedule = installment_schedule(uuid4(), approved, programme, APPROVED)
    except PlanNotFundable:
        return
    assert {i.amount.currency for i in schedule.installments} == {programme.currency}
    assert schedule.total.currency == schedule.ceiling.currency == programme.currency
    assert sum(i.amount.amount for i in schedule.installments) == schedule.total.amount
    assert schedule.total <= schedule.ceiling
    assert MINOR_UNITS[programme.currency] == 2  # NOK, CHF and EUR all count in hundredths
    per_type: dict[T, int] = defaultdict(int)
    for installment in schedule.installments:
        assert installment.amount.amount > 0
        per_type[installment.assistance_type] += installment.amount.amount
    assert per_type == {t: m.amount for t, m in schedule.granted.items()}
    requested: dict[T, int] = defaultdict(int)
    for line in approved.assistance:
        requested[line.assistance_type] += line.requested.amount
    assert all(per_type[t] <= requested[t] for t in per_type)


def test_norway_pays_its_grant_in_cash_at_once_and_a_service_on_top_over_six_months() -> None:
    approved = plan(
        "NO-VARP",
        [40, 38, 10, 6],
        {T.CASH: 10_000_000, T.VOCATIONAL_TRAINING: 4_000_000},
        currency="NOK",
        needs=[Category.VOCATIONAL_TRAINING],
    )
    schedule = installment_schedule(uuid4(), approved, NO, APPROVED)
    assert schedule.ceiling == nok(2 * 15_000 + 2 * 25_000 + 30_000)  # the grant, and the service's budget
    assert schedule.granted == {T.CASH: nok(80_000), T.VOCATIONAL_TRAINING: nok(30_000)}
    assert [(i.assistance_type, i.amount, i.milestone, i.paid_to) for i in schedule.installments] == [
        (T.CASH, nok(80_000), Milestone.ON_APPROVAL, PaidTo.RETURNEE),
        (T.VOCATIONAL_TRAINING, nok(15_000), Milestone.ON_APPROVAL, PaidTo.SUPPLIER),
        (T.VOCATIONAL_TRAINING, nok(15_000), Milestone.DAYS_AFTER_ARRIVAL, PaidTo.SUPPLIER),
    ]
    assert schedule.installments[2].due_on == approved.arrival_date + timedelta(days=180)


def test_norway_gives_more_per_child_and_a_vulnerability_supplement() -> None:
    family = plan("NO-VARP", [40, 10, 6, 2], {T.CASH: 100}, currency="NOK")
    assert person_ceiling(family, NO) == nok(15_000 + 3 * 25_000)
    minor = plan(
        "NO-VARP", [16], {T.CASH: 100}, currency="NOK", vulnerabilities=[Vulnerability.UNACCOMPANIED_MINOR]
    )
    assert person_ceiling(minor, NO) == nok(25_000 + 20_000)


def test_finland_caps_a_family_and_puts_the_vulnerability_supplement_on_top() -> None:
    family = [45, 43, 17, 15, 12, 9, 4]  # 2 x 3000 + 5 x 1500 = 13500, over the family ceiling
    approved = plan("FI-AVRR", family, {T.IN_KIND: 1_200_000})
    schedule = installment_schedule(uuid4(), approved, FI, APPROVED)
    assert schedule.ceiling == schedule.total == eur(9_000)
    assert [(i.amount, i.milestone, i.days_after_arrival) for i in schedule.installments] == [
        (eur(3_600), Milestone.ON_APPROVAL, None),
        (eur(2_700), Milestone.DAYS_AFTER_ARRIVAL, 90),
        (eur(2_700), Milestone.DAYS_AFTER_ARRIVAL, 180),
    ]
    ill = plan("FI-AVRR", family, {T.IN_KIND: 1_200_000}, vulnerabilities=[Vulnerability.MEDICAL_CONDITION])
    assert person_ceiling(ill, FI) == eur(9_000 + 1_500)


def test_belgium_pays_a_return_premium_per_person_and_all_at_once_for_a_medical_case() -> None:
    approved = plan("BE-FEDASIL", [33, 7], {T.CASH: 100_000, T.IN_KIND: 200_000})
    schedule = installment_schedule(uuid4(), approved, BE, APPROVED)
    assert schedule.granted[T.CASH] == eur(350 + 175)
    assert [i.milestone for i in schedule.installments] == [
        Milestone.ON_APPROVAL,
        Milestone.ON_APPROVAL,
        Milestone.DAYS_AFTER_ARRIVAL,
    ]
    ill = plan("BE-FEDASIL", [33, 7], {T.IN_KIND: 200_000}, vulnerabilities=[Vulnerability.MEDICAL_CONDITION])
    ill_schedule = installment_schedule(uuid4(), ill, BE, APPROVED)
    assert ill_schedule.ceiling == eur(2_000 + 1_000 + 2_000)
    assert [(i.amount, i.milestone) for i in ill_schedule.installments] == [
        (eur(2_000), Milestone.ON_APPROVAL)
    ]


@pytest.mark.parametrize(
    ("needs", "funded"),
    [
        ([Category.MICRO_BUSINESS], True),
        ([Category.HOUSING, Category.EMPLOYMENT], False),  # not assessed as needing a business
        (None, True),  # a plan approved before intake published needs: not held against it
    ],
)
def test_italy_funds_a_business_only_for_a_case_that_needs_one(
    needs: list[Category] | None, funded: bool
) -> None:
    approved = plan("IT-RVAR", [30], {T.CASH: 40_000, T.MICRO_BUSINESS: 150_000}, needs=needs)
    schedule = installment_schedule(uuid4(), approved, IT, APPROVED)
    business = [i for i in schedule.installments if i.assistance_type is T.MICRO_BUSINESS]
    if funded:
        assert [(i.amount, i.milestone) for i in business] == [
            (eur(750), Milestone.ON_APPROVAL),
            (eur(750), Milestone.BUSINESS_PLAN_VERIFIED),
        ]
    else:
        assert business == []
        (adjustment,) = [a for a in schedule.adjustments if a.assistance_type is T.MICRO_BUSINESS]
        assert adjustment.reason == "IT-RVAR funds micro_business for a micro_business need only"


def test_italy_gives_the_head_of_household_more_and_the_allowance_per_person_on_top() -> None:
    approved = plan("IT-RVAR", [40, 38, 12, 8], {T.CASH: 500_000, T.IN_KIND: 900_000})
    schedule = installment_schedule(uuid4(), approved, IT, APPROVED)
    assert person_ceiling(approved, IT) == eur(1_000 + 4 * 1_000)  # 2000 for the head, 1000 for each other
    assert schedule.granted == {T.CASH: eur(4 * 615), T.IN_KIND: eur(5_000)}
    assert schedule.ceiling == eur(5_000 + 4 * 615)
    (cash,) = [a for a in schedule.adjustments if a.assistance_type is T.CASH]
    assert cash.reason == "cash is 615.00 per adult and 615.00 per child: 2 and 2"


def test_every_assistance_type_a_policy_holds_to_its_need_pays_for_a_category() -> None:
    held = {t for p in POLICIES.programmes for t, rule in p.funds.items() if rule.requires_need}
    assert held == {T.EDUCATION, T.VOCATIONAL_TRAINING, T.JOB_PLACEMENT, T.MICRO_BUSINESS}
