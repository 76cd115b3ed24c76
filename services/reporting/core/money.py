"""How the money an event names is split by assistance type (pure), so that each type's movements
add up to exactly what the ledger posted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .facts import UNSPECIFIED


def split_by_type(parts: Iterable[tuple[str, int]], whole: int) -> list[tuple[str, int]]:
    """`whole` (minor units) split by the assistance types of `parts` (type, amount). When the parts
    do not add up to the whole — an installment the model never saw, a schedule naming no type —
    the difference is reported under `unspecified`, so the split always adds up to `whole`."""
    by_type: Counter[str] = Counter()
    for kind, amount in parts:
        by_type[kind] += amount
    if sum(by_type.values()) > whole:  # parts that do not belong here: the whole, unsplit
        return [(UNSPECIFIED, whole)] if whole > 0 else []
    by_type[UNSPECIFIED] += whole - sum(by_type.values())
    return [(kind, amount) for kind, amount in sorted(by_type.items()) if amount > 0]
