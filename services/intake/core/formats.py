"""The formats a request's fields are read in, each with the JSON Schema that states it exactly, so
that the OpenAPI document promises what the validation does (no more, no less):

- typed text: surrounding whitespace is trimmed (as a form or a script may leave it), what remains is
  counted and checked, and control characters are refused (PostgreSQL cannot store NUL at all);
- dates as ISO 8601 calendar dates only (`2025-06-15`), not timestamps or week dates;
- integers and booleans as JSON has them: `"5"` is not a number and `1` is not `true`;
- UUIDs in their canonical hyphenated form.

A value is checked against the same regular expression its schema publishes (Python's `re`, as a
JSON Schema validator in Python reads it), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StrictBool, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# Unicode White_Space (what pydantic's own strip removes), as a character-class body. Python's
# str.isspace adds \x1c-\x1f, which typed text refuses anyway as control characters.
WHITESPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_TRIMMED = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)

# character classes: anything printable on one line; the same with tabs and line breaks
ONE_LINE = r"[^\x00-\x1f\x7f]"
MULTI_LINE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_NOT_BLANK = rf"[^\x00-\x1f\x7f{WHITESPACE}]"  # what typed text starts and ends with


def text_pattern(
    min_length: int, max_length: int | None, *, inner: str = ONE_LINE, edge: str = _NOT_BLANK
) -> str:
    """A regular expression for text that, trimmed, is `min_length` to `max_length` characters of
    `inner`, beginning and ending with one of `edge` (a class without whitespace)."""
    if max_length == 1:
        core = edge
    elif inner == edge:
        most = "" if max_length is None else str(max_length)
        core = f"{edge}{{{max(min_length, 1)},{most}}}"
    else:
        most = "" if max_length is None else str(max(max_length - 2, 0))
        middle = f"{inner}{{{max(min_length - 2, 0)},{most}}}"
        core = f"{edge}{middle}{edge}" if min_length >= 2 else f"{edge}(?:{middle}{edge})?"
    if min_length == 0:
        core = f"(?:{core})?"
    return f"^[{WHITESPACE}]*{core}[{WHITESPACE}]*$"


@dataclass(frozen=True)
class TypedText:
    """`Annotated[str, TypedText(pattern, message)]`: text read as typed, checked against `pattern`
    (see `text_pattern`), then trimmed (and upper-cased when `upper`); `message` says what is
    expected when it does not match. Its JSON Schema is that pattern."""

    pattern: str
    message: str
    upper: bool = False

    def read(self, value: str) -> str:
        if not re.search(self.pattern, value):
            raise PydanticCustomError("text_format", self.message)
        trimmed = value.strip(_TRIMMED)
        return trimmed.upper() if self.upper else trimmed

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.read, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": self.pattern}


def any_case(codes: list[str]) -> str:
    """A pattern for one of `codes` in any letter case, with surrounding whitespace (as a
    `TypedText` with `upper=True` reads a code)."""
    spelled = "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in code) for code in codes
    )
    return f"^[{WHITESPACE}]*(?:{spelled})[{WHITESPACE}]*$"


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "a date like 2025-06-15 (year-month-day)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_format", "not a date of the calendar") from None


# RFC 3339 (JSON Schema's date-time): a date, a time with seconds, and an offset; never a bare
# local time, since an arrival time without its zone is ambiguous
_INSTANT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _instant(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    found = _INSTANT.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise PydanticCustomError(
            "datetime_format",
            "a time with its offset, like 2025-06-15T14:30:00+02:00 or 2025-06-15T12:30:00Z",
        )
    day, clock, fraction, offset = found.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}{(fraction or '')[:7]}{offset}")
    except ValueError:
        raise PydanticCustomError("datetime_format", "not a time of the calendar") from None


def _json_integer(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_type", "a whole number")
        return int(value)
    return value


_CANONICAL_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _canonical_uuid(value: object) -> object:
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str) or not re.fullmatch(_CANONICAL_UUID[1:-1], value):
        raise PydanticCustomError("uuid_format", "a UUID like 0190a7f4-9b8e-7c3d-8f21-5a6b7c8d9e0f")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
IsoInstant = Annotated[
    datetime, BeforeValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})
]
# read as the JSON Schema "integer" (5 and 5.0, never "5" or true), after any bounds:
# `Annotated[int, Field(ge=0, le=80), JSON_INTEGER]`, so the bounds stay in the schema
JSON_INTEGER = BeforeValidator(_json_integer)
JsonBool = StrictBool
CanonicalUuid = Annotated[
    UUID,
    BeforeValidator(_canonical_uuid),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": _CANONICAL_UUID}),
]
