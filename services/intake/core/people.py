"""Facts about people computed from what a caseworker records: ages, adulthood, name keys."""

from __future__ import annotations

import unicodedata
from datetime import date

ADULT_AGE = 18
ELDERLY_AGE = 60
OLDEST_AGE = 120


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years completed on `day` (someone born on 29 February turns a year older on 1 March
    in common years). Raises ValueError for a day before the birth."""
    if day < date_of_birth:
        raise ValueError("the day is before the date of birth")
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


def date_of_birth_problem(date_of_birth: date, today: date) -> str | None:
    if date_of_birth > today:
        return "a date of birth cannot be in the future"
    if age_on(date_of_birth, today) > OLDEST_AGE:
        return f"a date of birth more than {OLDEST_AGE} years ago is not plausible"
    return None


def name_key(name: str) -> str:
    """The form of a name that duplicate detection and search compare: accents, case and spacing
    do not tell two people apart ("Ana  Petrovska", "ana petrovska" and "Ana Petrovská" are one key)."""
    decomposed = unicodedata.normalize("NFKD", name)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_marks.casefold().split())
