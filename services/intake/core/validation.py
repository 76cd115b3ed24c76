"""Bad input is answered with every problem at once (DESIGN rule 3): pydantic's field errors and the
case rules' errors become one list of `Problem`s, each naming its field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError, ValidationInfo

from services.intake.core.catalogue import Catalogue

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str

    @property
    def field(self) -> str:
        """Dotted path of the field, e.g. `members.1.date_of_birth`."""
        return ".".join(str(part) for part in self.loc) or "body"


class Invalid(Exception):
    """The input breaks these rules; nothing was stored."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


@dataclass(frozen=True)
class Checks:
    """What field validators check against: passed as pydantic's validation context. Without it
    (a case read back from the database) only the shape is checked, so a programme retired from the
    catalogue does not make old cases unreadable."""

    catalogue: Catalogue
    today: date
    now: datetime | None = None  # the instant, for rules on times (an announced arrival's)


def checks_of(info: ValidationInfo) -> Checks | None:
    context = info.context
    found = context.get("checks") if isinstance(context, dict) else None
    return found if isinstance(found, Checks) else None


def problems_from(error: ValidationError) -> list[Problem]:
    return [Problem(tuple(e["loc"]), _message(e)) for e in error.errors(include_url=False)]


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    return str(error["msg"]).removeprefix("Value error, ")


def check(
    model: type[M],
    data: Any,
    checks: Checks,
    rules: Callable[[M], list[Problem]] | None = None,
) -> M:
    """Validate `data` as `model` against `checks`, then (when the fields are valid) the cross-field
    `rules`. Raises Invalid with every problem found."""
    try:
        value = model.model_validate(data, context={"checks": checks})
    except ValidationError as error:
        raise Invalid(problems_from(error)) from None
    problems = rules(value) if rules else []
    if problems:
        raise Invalid(problems)
    return value
