"""The finance page's amounts and references, read as a finance officer types them."""

from __future__ import annotations

import re

import pytest

from services.grants.http.pages.forms import (
    ENTER_AN_AMOUNT,
    POSITIVE_AMOUNT,
    REFERENCE_RULE,
    minor_units,
    reference_problem,
)


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("25000", "EUR", 2_500_000),
        ("25,000.50", "EUR", 2_500_050),
        (" 1 500 ", "EUR", 150_000),
        ("700", "JPY", 700),
    ],
)
def test_amounts_in_major_units_become_exact_minor_units(typed: str, currency: str, minor: int) -> None:
    assert minor_units(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("", "EUR", ENTER_AN_AMOUNT),
        ("ten", "EUR", ENTER_AN_AMOUNT),
        ("1.005", "EUR", ENTER_AN_AMOUNT),  # more decimals than the currency has
        ("1.5", "JPY", ENTER_AN_AMOUNT),
        ("NaN", "EUR", ENTER_AN_AMOUNT),
        ("Infinity", "EUR", ENTER_AN_AMOUNT),
        ("0", "EUR", POSITIVE_AMOUNT),
        ("-5", "EUR", POSITIVE_AMOUNT),
    ],
)
def test_what_is_not_an_amount_says_so(typed: str, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        minor_units(typed, currency)


def test_references_are_references_never_names() -> None:
    assert reference_problem("SEPA-2026/03:77") is None
    assert reference_problem("") == REFERENCE_RULE
    assert reference_problem("", required=False) is None
    assert reference_problem("Fatmire Aliu") == REFERENCE_RULE  # a space: a name, not a reference
