"""Small cells: no published count under five, and no suppressed count found again by subtraction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.core.suppression import THRESHOLD, suppress

groups = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8)


@given(groups)
def test_no_published_cell_is_under_five(counts: list[int]) -> None:
    hidden = suppress(counts, sum(counts))
    for position, count in enumerate(counts):
        if not hidden.hides(position):
            assert count == 0 or count >= THRESHOLD
    if not hidden.total:
        assert sum(counts) == 0 or sum(counts) >= THRESHOLD


@given(groups)
def test_subtraction_from_the_total_pins_no_suppressed_cell(counts: list[int]) -> None:
    """A reader who knows the total, the published cells and that every suppressed cell counts at
    least one person learns only the suppressed cells' sum S. Each suppressed cell could then be any
    of 1..4 or 5 (the others absorbing the rest), so none of them is found again."""
    hidden = suppress(counts, sum(counts))
    if hidden.total or not hidden.cells:
        return
    suppressed = [counts[i] for i in hidden.cells]
    together, others = sum(suppressed), len(suppressed) - 1
    assert others >= 1  # never one suppressed cell alone: the total minus the rest would show it
    for value in range(1, THRESHOLD + 1):
        assert together - value >= others, (counts, sorted(hidden.cells), value)


def test_a_small_cell_takes_the_smallest_large_cell_with_it() -> None:
    hidden = suppress([3, 20, 9, 0], 32)
    assert hidden.cells == frozenset({0, 2})  # 3 and 9 hidden: 12 could be 1+11, ..., 4+8
    assert not hidden.total


def test_without_a_cell_to_hide_it_behind_the_whole_group_goes() -> None:
    # 2 beside 6: hiding both leaves 8 = 2 + 6, and 6 >= 5 would narrow the 2 to 1..3
    hidden = suppress([2, 6, 0], 8)
    assert hidden.total
    assert hidden.cells == frozenset({0, 1, 2})


def test_a_total_under_five_suppresses_everything() -> None:
    hidden = suppress([1, 2], 3)
    assert hidden.total


def test_nothing_small_nothing_suppressed() -> None:
    assert suppress([5, 0, 12], 17).cells == frozenset()
