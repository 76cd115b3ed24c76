"""Small cells: no published count covers fewer than `THRESHOLD` people, and none can be found by
subtracting the published cells from the published total.

The rule, for each group of cells that add up to (or are bounded by) a published total:

1. Primary: a cell counting 1 to 4 is suppressed. 0 is published (it identifies no one).
2. Secondary: if any cell of the group is suppressed, more cells are suppressed, the smallest of
   those counting 5 or more first, until (a) at least one of them counts 5 or more and (b) the
   suppressed cells together count at least |P| + 3 + 5·|S| (P: the primary cells, S: the secondary
   ones). Then whatever a reader subtracts, each primary cell could still be any of 1, 2, 3 or 4:
   the other suppressed cells can absorb the difference (each primary at least 1, each secondary at
   least 5, and nothing bounds a secondary from above).
3. If no such set exists — or the total itself is under 5 — every cell and the total are suppressed.

A cell whose unit is a household (or a case) counts at least one person per unit, so 5 units are
at least 5 people. Values derived from a count (money of a row, a median over completions) are
suppressed with the count they come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5


@dataclass(frozen=True)
class Suppression:
    cells: frozenset[int]  # the positions suppressed
    total: bool  # the total too

    def hides(self, position: int) -> bool:
        return self.total or position in self.cells


def is_small(count: int, threshold: int = THRESHOLD) -> bool:
    return 0 < count < threshold


def _protected(counts: Sequence[int], primary: set[int], secondary: set[int], threshold: int) -> bool:
    if not secondary:
        return False
    together = sum(counts[i] for i in primary | secondary)
    return together >= len(primary) + (threshold - 2) + threshold * len(secondary)


def suppress(counts: Sequence[int], total: int, threshold: int = THRESHOLD) -> Suppression:
    """Which of `counts` (and whether `total`) to suppress, by the rule above."""
    if any(c < 0 for c in counts) or total < 0:
        raise ValueError("counts are never negative")
    if is_small(total, threshold):
        return Suppression(frozenset(range(len(counts))), total=True)
    primary = {i for i, c in enumerate(counts) if is_small(c, threshold)}
    if not primary:
        return Suppression(frozenset(), total=False)
    candidates = sorted((c, i) for i, c in enumerate(counts) if c >= threshold)
    secondary: set[int] = set()
    for _, position in candidates:
        secondary.add(position)
        if _protected(counts, primary, secondary, threshold):
            return Suppression(frozenset(primary | secondary), total=False)
    return Suppression(frozenset(range(len(counts))), total=True)
