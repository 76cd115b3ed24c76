"""The donor report from the read model's facts (pure): what each table counts, over which period,
and the money split by assistance type adding up to what the ledger posted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.reporting.core.errors import InvalidPeriod
from services.reporting.core.facts import (
    UNSPECIFIED,
    Member,
    MoneyFacts,
    Movement,
    Period,
    ProgrammeFacts,
    ReferralFacts,
    ReturnFacts,
)
from services.reporting.core.money import split_by_type
from services.reporting.core.population import HouseholdType, age_band, household_type
from services.reporting.core.report import programme_report

DAY = date(2026, 3, 10)
AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


def single(
    age: int, sex: str, *, vulnerabilities: tuple[str, ...] = (), closed: str | None = None
) -> ReturnFacts:
    return ReturnFacts(
        uuid4(), DAY, vulnerabilities, (Member(age, sex, "principal"),), closed, AT if closed else None
    )


def caseload() -> ProgrammeFacts:
    returns = [single(30, "male") for _ in range(12)]
    returns += [single(40, "female", vulnerabilities=("medical_condition",)) for _ in range(9)]
    returns += [single(70, "female", closed="reintegrated") for _ in range(2)]  # 2: a small cell
    family = ReturnFacts(
        uuid4(),
        DAY,
        ("single_parent",),
        (Member(35, "female", "principal"), Member(6, "male", "child")),
        None,
        None,
    )
    returns.append(family)
    referrals = [
        ReferralFacts(r.case_id, "housing", AT - timedelta(days=10), AT - timedelta(days=9), AT)
        for r in returns[:8]
    ]
    money = [MoneyFacts(r.case_id, "housing", Movement.COMMITTED, 60_000, "EUR", AT) for r in returns[:12]]
    money += [MoneyFacts(returns[0].case_id, "cash", Movement.DISBURSED, 10_001, "EUR", AT)]
    return ProgrammeFacts("DE-STARTHILFEPLUS", tuple(returns), tuple(referrals), tuple(money), None)


def tables(period: Period) -> dict[str, dict[str, list[int | float | None]]]:
    report = programme_report(caseload(), period)
    return {t.id: {row.key: row.values for row in [*t.rows, t.total]} for t in report.tables}


def test_returns_by_sex_and_age_publish_large_cells_and_hide_small_ones() -> None:
    found = tables(Period(DAY, DAY))
    assert found["returns_by_sex"]["total"] == [25]
    assert found["returns_by_sex"]["female"] == [12]
    assert found["returns_by_sex"]["male"] == [13]
    ages = found["returns_by_age_band"]
    assert ages["5-11"] == [None]  # one child
    assert ages["60+"] == [None]  # two elderly women
    assert ages["total"] == [25]
    assert sum(v[0] is None for v in ages.values()) >= 2


def test_assistance_counts_cases_and_the_median_days_to_completion() -> None:
    housing = tables(Period(DAY, DAY))["assistance_by_category"]["housing"]
    assert housing == [0, 0, 8, 10.0]  # referred and accepted before the period; completed in it
    earlier = tables(Period(DAY - timedelta(days=10), DAY))["assistance_by_category"]["housing"]
    assert earlier == [8, 8, 8, 10.0]


def test_money_adds_up_and_a_type_of_one_case_is_hidden_with_another() -> None:
    money = tables(Period(DAY, DAY))["money_by_assistance_type"]
    assert money["total"] == [12, 12 * 60_000, 10_001, 0, 0]
    assert money["cash"] == [None] * 5  # one case's cash: hidden, and so is housing beside it
    assert money["housing"] == [None] * 5


def test_nothing_outside_the_period() -> None:
    found = tables(Period(DAY + timedelta(days=1), DAY + timedelta(days=30)))
    assert found["returns_by_sex"]["total"] == [0]
    assert found["money_by_assistance_type"]["total"] == [0, 0, 0, 0, 0]


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidPeriod):
        Period(DAY, DAY - timedelta(days=1))


def test_bands_and_household_types() -> None:
    assert [age_band(a) for a in (0, 4, 5, 17, 18, 24, 25, 59, 60, 101)] == [
        "0-4", "0-4", "5-11", "12-17", "18-24", "18-24", "25-59", "25-59", "60+", "60+",
    ]  # fmt: skip
    assert household_type([Member(15, "male", "principal")]) is HouseholdType.SINGLE_MINOR
    assert household_type([Member(30, "male", "principal"), Member(29, "female", "spouse")]) is (
        HouseholdType.ADULTS_ONLY
    )


def test_a_split_by_type_always_adds_up_to_what_the_ledger_posted() -> None:
    assert split_by_type([("housing", 300), ("cash", 200)], 500) == [("cash", 200), ("housing", 300)]
    assert split_by_type([("housing", 300)], 500) == [("housing", 300), (UNSPECIFIED, 200)]
    assert split_by_type([("housing", 300), ("cash", 300)], 500) == [(UNSPECIFIED, 500)]
