"""The formats requests are read in: what each accepts is what its published pattern says, and a
typed value is read trimmed; numbers, booleans, dates and ids only in their JSON forms."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from services.intake.core.formats import (
    JSON_INTEGER,
    MULTI_LINE,
    CanonicalUuid,
    IsoDate,
    JsonBool,
    TypedText,
    text_pattern,
)

WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"
CONTROL = {chr(c) for c in range(0x20)} | {"\x7f"}
# whitespace, control characters and a few ordinary ones, so that every branch is drawn often
typed = st.text(st.sampled_from([*WHITESPACE, *sorted(CONTROL), "a", "Z", "7", "-", "/", "é", "ß", "\u200b"]))


def one_line(text: str, least: int, most: int) -> bool:
    """What a one-line field means, said plainly: trimmed, `least` to `most` characters, none of
    them a control character."""
    trimmed = text.strip(WHITESPACE)
    return least <= len(trimmed) <= most and not (set(trimmed) & CONTROL)


@given(typed)
@pytest.mark.parametrize(("least", "most"), [(0, 1), (1, 1), (0, 5), (1, 5), (3, 6)])
def test_a_one_line_pattern_accepts_exactly_the_text_that_trimmed_fits(
    least: int, most: int, text: str
) -> None:
    assert bool(re.search(text_pattern(least, most), text)) == one_line(text, least, most)


@given(typed)
def test_a_multi_line_pattern_also_accepts_tabs_and_line_breaks_inside(text: str) -> None:
    trimmed = text.strip(WHITESPACE)
    fits = len(trimmed) <= 8 and not (set(trimmed) & (CONTROL - {"\t", "\n", "\r"}))
    assert bool(re.search(text_pattern(0, 8, inner=MULTI_LINE), text)) == fits


class Typed(BaseModel):
    name: Annotated[str, TypedText(text_pattern(1, 20), "1 to 20 characters")]
    code: Annotated[
        str, TypedText(text_pattern(2, 2, inner="[A-Za-z]", edge="[A-Za-z]"), "two letters", upper=True)
    ]


def test_typed_text_is_read_trimmed_and_codes_upper_cased() -> None:
    read = Typed(name="\u00a0 Ana Petrovska\n", code=" mk\t")
    assert (read.name, read.code) == ("Ana Petrovska", "MK")


@pytest.mark.parametrize("name", ["", "   ", "Ana\x00", "An\ta", "x" * 21])
def test_typed_text_that_does_not_fit_is_refused_with_its_message(name: str) -> None:
    with pytest.raises(ValidationError, match="1 to 20 characters"):
        Typed(name=name, code="MK")


class Json(BaseModel):
    years: Annotated[int, Field(ge=0, le=80), JSON_INTEGER]
    flag: JsonBool = False
    day: IsoDate | None = None
    id: CanonicalUuid | None = None


def test_numbers_and_booleans_are_read_as_json_has_them() -> None:
    assert Json(years=5.0, flag=True).years == 5
    for years in ("5", True, 5.5):
        with pytest.raises(ValidationError):
            Json(years=years)
    for flag in (1, "true", "yes"):
        with pytest.raises(ValidationError):
            Json(years=1, flag=flag)


@pytest.mark.parametrize(
    "day", ["2025-6-15", "20250615", "2025-W24-7", "2025-06-15T00:00:00", 1749945600, "2025-02-30"]
)
def test_dates_are_calendar_dates_in_iso_form_only(day: Any) -> None:
    assert Json(years=1, day="2025-06-15").day == date(2025, 6, 15)
    with pytest.raises(ValidationError):
        Json(years=1, day=day)


@pytest.mark.parametrize(
    "plan_id",
    [
        "0190a7f49b8e7c3d8f215a6b7c8d9e0f",
        "{0190a7f4-9b8e-7c3d-8f21-5a6b7c8d9e0f}",
        "urn:uuid:0190a7f4-9b8e-7c3d-8f21-5a6b7c8d9e0f",
    ],
)
def test_ids_are_uuids_in_canonical_form_only(plan_id: str) -> None:
    assert Json(years=1, id="0190a7f4-9b8e-7c3d-8f21-5a6b7c8d9e0f").id is not None
    with pytest.raises(ValidationError):
        Json(years=1, id=plan_id)
