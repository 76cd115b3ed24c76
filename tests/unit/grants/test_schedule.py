"""schedule.py: an approved plan and a policy → a grant total and its installments."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.grants.core.policies import PaidTo
from services.grants.core.schedule import PlanNotFundable, installment_schedule, share_of_ceiling
from shared.events.codes import AssistanceType as T
from shared.events.codes import Milestone, Vulnerability
from shared.money import Money

from .builders import demo_policies, plan

POLICIES = demo_policies()
DE, NL, CH = (POLICIES.programme(p) for p in ("DE-STARTHILFEPLUS", "NL-AVRR", "CH-RKH"))
APPROVED = date(2025, 3, 10)


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


def test_starthilfeplus_gives_half_to_under_twelves_and_pays_two_halves() -> None:
    approved = plan("DE-STARTHILFEPLUS", [30, 31, 14, 5], {T.CASH: 500_000})
    schedule = installment_schedule(uuid4(), approved, DE, APPROVED)
    assert schedule.ceiling == eur(350_000)  # three aged 12 or more, one under 12; four people: no supplement
    assert schedule.total == eur(350_000)
    assert [(i.amount, i.milestone, i.due_on) for i in schedule.installments] == [
        (eur(175_000), Milestone.ON_APPROVAL, APPROVED),
        (eur(175_000), Milestone.DAYS_AFTER_ARRIVAL, approved.arrival_date + timedelta(days=180)),
    ]
    assert schedule.adjustments[0].granted == eur(350_000)


def test_households_over_four_get_the_supplement() -> None:
    approved = plan("DE-STARTHILFEPLUS", [30, 31, 3, 5, 8], {T.CASH: 900_000})
    assert installment_schedule(uuid4(), approved, DE, APPROVED).ceiling == eur(200_000 + 150_000 + 50_000)


def test_the_rounding_remainder_goes_to_the_last_installment() -> None:
    schedule = installment_schedule(uuid4(), plan("DE-STARTHILFEPLUS", [40], {T.CASH: 99_999}), DE, APPROVED)
    assert [i.amount.amount for i in schedule.installments] == [49_999, 50_000]


def test_a_vulnerable_returnee_gets_everything_on_approval() -> None:
    approved = plan(
        "DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, vulnerabilities=[Vulnerability.MEDICAL_CONDITION]
    )
    schedule = installment_schedule(uuid4(), approved, DE, APPROVED)
    assert [(i.amount, i.milestone) for i in schedule.installments] == [(eur(100_000), Milestone.ON_APPROVAL)]
    assert schedule.vulnerable


def test_the_dutch_programme_caps_cash_and_pays_in_kind_to_suppliers() -> None:
    schedule = installment_schedule(
        uuid4(), plan("NL-AVRR", [35], {T.CASH: 50_000, T.IN_KIND: 100_000}), NL, APPROVED
    )
    assert schedule.granted == {T.CASH: eur(30_000), T.IN_KIND: eur(100_000)}
    assert [(i.assistance_type, i.paid_to, i.amount.amount, i.milestone) for i in schedule.installments] == [
        (T.CASH, PaidTo.RETURNEE, 18_000, Milestone.ON_APPROVAL),
        (T.IN_KIND, PaidTo.SUPPLIER, 60_000, Milestone.ON_APPROVAL),
        (T.CASH, PaidTo.RETURNEE, 12_000, Milestone.DAYS_AFTER_ARRIVAL),
        (T.IN_KIND, PaidTo.SUPPLIER, 40_000, Milestone.DAYS_AFTER_ARRIVAL),
    ]
    assert [a.reason for a in schedule.adjustments] == ["cash is capped at 300.00"]


def test_over_the_ceiling_the_types_share_it_in_proportion_to_the_minor_unit() -> None:
    schedule = installment_schedule(
        uuid4(), plan("NL-AVRR", [35], {T.CASH: 30_000, T.IN_KIND: 200_000}), NL, APPROVED
    )
    assert schedule.granted == {T.CASH: eur(23_478), T.IN_KIND: eur(156_522)}
    assert schedule.total == eur(180_000)
    assert {a.reason for a in schedule.adjustments} == {"the grant ceiling is shared out"}


def test_a_swiss_micro_business_is_funded_beyond_the_ceiling_once_its_plan_is_verified() -> None:
    approved = plan("CH-RKH", [40], {T.CASH: 100_000, T.MICRO_BUSINESS: 500_000}, currency="CHF")
    schedule = installment_schedule(uuid4(), approved, CH, APPROVED)
    chf = [(i.assistance_type, i.amount.amount, i.milestone, i.due_on) for i in schedule.installments]
    assert chf == [
        (T.CASH, 100_000, Milestone.ON_APPROVAL, APPROVED),
        (T.MICRO_BUSINESS, 300_000, Milestone.BUSINESS_PLAN_VERIFIED, None),
    ]
    assert schedule.ceiling == Money(amount=400_000, currency="CHF")


def test_unfunded_types_get_nothing_and_a_plan_with_nothing_fundable_is_refused() -> None:
    schedule = installment_schedule(
        uuid4(), plan("DE-STARTHILFEPLUS", [40], {T.CASH: 10_000, T.EDUCATION: 5}), DE, APPROVED
    )
    assert schedule.granted == {T.CASH: eur(10_000)}
    assert "does not fund education" in schedule.adjustments[0].reason
    with pytest.raises(PlanNotFundable, match="nothing in plan"):
        installment_schedule(uuid4(), plan("DE-STARTHILFEPLUS", [40], {T.EDUCATION: 5_000}), DE, APPROVED)


def test_a_plan_in_another_currency_is_refused() -> None:
    with pytest.raises(PlanNotFundable, match="pays in CHF"):
        installment_schedule(uuid4(), plan("CH-RKH", [40], {T.CASH: 10_000}, currency="EUR"), CH, APPROVED)


def test_the_same_plan_gives_the_same_installment_ids() -> None:
    grant, approved = uuid4(), plan("NL-AVRR", [35, 6], {T.CASH: 10_000, T.HOUSING: 90_000})
    first, second = (installment_schedule(grant, approved, NL, APPROVED) for _ in range(2))
    assert first == second


@pytest.mark.parametrize(
    ("amounts", "ceiling", "expected"),
    [([10, 10], 30, [10, 10]), ([1, 1, 1], 2, [1, 1, 0]), ([3, 0, 1], 2, [2, 0, 0]), ([5, 5], 0, [0, 0])],
)
def test_sharing_a_ceiling_never_grows_a_part(amounts, ceiling, expected) -> None:  # type: ignore[no-untyped-def]
    assert share_of_ceiling(amounts, ceiling) == expected
