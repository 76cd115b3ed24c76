"""Routing ranks partners by the share of their places in use as a float quotient (cheaper than a
Fraction, and this runs for every candidate of every referral). For the integers a directory
allows (capacity <= 100,000, fewer in use than that), the quotient orders and ties exactly as the
rational numbers do."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

CAPACITY = st.integers(min_value=1, max_value=100_000)


@st.composite
def shares(draw: st.DrawFn) -> tuple[int, int]:
    capacity = draw(CAPACITY)
    return draw(st.integers(min_value=0, max_value=capacity - 1)), capacity


@given(shares(), shares())
def test_float_shares_compare_like_fractions(a: tuple[int, int], b: tuple[int, int]) -> None:
    exact_a, exact_b = Fraction(*a), Fraction(*b)
    quick_a, quick_b = a[0] / a[1], b[0] / b[1]
    assert (quick_a < quick_b) == (exact_a < exact_b)
    assert (quick_a == quick_b) == (exact_a == exact_b)


@given(st.integers(min_value=1, max_value=50_000), CAPACITY)
def test_equal_shares_tie(used: int, capacity: int) -> None:
    # e.g. 1 of 3 and 2 of 6: a tie, broken by partner id, as with fractions
    if used < capacity:
        assert used / capacity == (2 * used) / (2 * capacity)
