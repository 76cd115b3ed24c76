"""How returnees are counted: age bands and household types (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from .facts import Member

ADULT_AGE = 18

# (label, lowest age, highest age): the bands donors' AVRR reports commonly use
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-4", 0, 4),
    ("5-11", 5, 11),
    ("12-17", 12, 17),
    ("18-24", 18, 24),
    ("25-59", 25, 59),
    ("60+", 60, 200),
)


class HouseholdType(StrEnum):
    SINGLE_ADULT = "single_adult"
    SINGLE_MINOR = "single_minor"  # a child returning alone
    ADULTS_ONLY = "adults_only"  # two adults or more, no child
    WITH_CHILDREN = "with_children"  # adults with at least one child


def age_band(age: int) -> str:
    for label, lowest, highest in AGE_BANDS:
        if lowest <= age <= highest:
            return label
    raise ValueError(f"no age band holds {age}")


def household_type(members: Sequence[Member]) -> HouseholdType:
    children = sum(1 for m in members if m.age < ADULT_AGE)
    if len(members) <= 1:
        return HouseholdType.SINGLE_MINOR if children else HouseholdType.SINGLE_ADULT
    return HouseholdType.WITH_CHILDREN if children else HouseholdType.ADULTS_ONLY
