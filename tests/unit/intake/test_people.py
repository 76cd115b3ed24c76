"""Ages from dates of birth, and the name key duplicate detection compares."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.core.people import age_on, date_of_birth_problem, name_key

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2000, 2, 29), date(2018, 2, 28), 17),  # a leap-day birthday comes on 1 March
        (date(2000, 2, 29), date(2018, 3, 1), 18),
        (date(2000, 2, 29), date(2020, 2, 29), 20),
        (date(2024, 1, 1), date(2024, 1, 1), 0),
    ],
)
def test_age_counts_whole_years(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_an_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2020, 1, 2), date(2020, 1, 1))


@given(born=births, years=st.integers(min_value=0, max_value=120))
def test_on_each_birthday_the_age_is_the_years_since_birth(born: date, years: int) -> None:
    birthday = (
        date(born.year + years, 3, 1)
        if (born.month, born.day) == (2, 29)
        else born.replace(year=born.year + years)
    )
    assert age_on(born, birthday) == years
    if birthday > born:
        assert age_on(born, birthday - timedelta(days=1)) == years - 1


@given(born=births, first=st.integers(0, 50_000), later=st.integers(0, 50_000))
def test_age_never_decreases(born: date, first: int, later: int) -> None:
    early, late = sorted([first, later])
    assert age_on(born, born + timedelta(days=early)) <= age_on(born, born + timedelta(days=late))


def test_dates_of_birth_in_the_future_or_too_long_ago_are_problems() -> None:
    today = date(2025, 6, 15)
    assert date_of_birth_problem(date(2025, 6, 16), today) == "a date of birth cannot be in the future"
    assert (
        date_of_birth_problem(date(1900, 1, 1), today)
        == "a date of birth more than 120 years ago is not plausible"
    )
    assert date_of_birth_problem(date(1990, 1, 1), today) is None
    assert date_of_birth_problem(today, today) is None  # born today: a newborn travels too


@pytest.mark.parametrize(
    "spelling", ["Ana Petrovska", "ana petrovska", "  ANA   Petrovska ", "Ana Petrovská"]
)
def test_name_keys_ignore_case_spacing_and_accents(spelling: str) -> None:
    assert name_key(spelling) == "ana petrovska"


def test_different_names_keep_different_keys() -> None:
    assert name_key("Ana Petrovska") != name_key("Ana Petrovski")
    assert name_key("Đorđe") != name_key("Dorde")  # a letter of its own, not an accent: kept
