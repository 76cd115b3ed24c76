"""Money is integer minor units plus an ISO 4217 currency."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.money import CurrencyMismatch, Money


def eur(amount: int) -> Money:
    return Money(amount=amount, currency="EUR")


def test_a_float_amount_is_refused_not_rounded() -> None:
    with pytest.raises(ValidationError, match="float"):
        Money(amount=12.5, currency="EUR")


def test_a_numeric_string_is_refused() -> None:
    with pytest.raises(ValidationError):
        Money(amount="100", currency="EUR")


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money(amount=1, currency="EURO")


def test_amounts_of_different_currencies_do_not_add() -> None:
    with pytest.raises(CurrencyMismatch):
        eur(100) + Money(amount=100, currency="CHF")


def test_arithmetic_stays_in_minor_units() -> None:
    assert eur(150_00) + eur(25) - eur(5) == eur(150_20)
    assert eur(300).times(3) == eur(900)
    assert -eur(1) == eur(-1)


def test_multiplying_by_a_float_is_refused() -> None:
    with pytest.raises(TypeError):
        eur(100).times(1.5)  # type: ignore[arg-type]


def test_it_prints_with_the_currency_exponent() -> None:
    assert str(eur(123_45)) == "EUR 123.45"
    assert str(Money(amount=-5, currency="CHF")) == "CHF -0.05"
    assert str(Money(amount=500, currency="JPY")) == "JPY 500"


def test_a_three_way_split_puts_the_remainder_on_the_last_part() -> None:
    assert eur(100_00).split([1, 1, 1]) == [eur(33_33), eur(33_33), eur(33_34)]


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=8).filter(
        lambda w: sum(w) > 0
    ),
)
def test_a_split_always_sums_to_the_whole(amount: int, weights: list[int]) -> None:
    parts = eur(amount).split(weights)
    assert sum(p.amount for p in parts) == amount
    assert all(p.amount >= 0 for p in parts)


def test_it_serialises_as_integers() -> None:
    assert eur(1999).model_dump() == {"amount": 1999, "currency": "EUR"}
