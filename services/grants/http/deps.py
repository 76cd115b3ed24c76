"""What every route uses: the service context, who may call, and query parameters read as strictly
as the OpenAPI document declares them (dates, instants, programme ids, account codes)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services.grants.core.ledger.postings import account_code_pattern
from services.grants.core.policies import PROGRAMME_ID
from services.grants.use_cases.context import GrantsContext
from shared.http.auth import require_roles
from shared.http.problems import FieldProblem, ProblemError, validation_error
from shared.identity.model import Role, User


async def grants_context(request: Request) -> GrantsContext:
    # async, as every dependency on a request's path: FastAPI runs a plain `def` in a worker thread
    context: GrantsContext = request.app.state.grants
    return context


# Bounds on paging numbers: past them PostgreSQL's bigint overflows (a 500, not an empty page)
MAX_BIGINT = 2**63 - 1
MAX_OFFSET = 1_000_000_000

Context = Annotated[GrantsContext, Depends(grants_context)]
Reader = Annotated[User, Depends(require_roles(Role.FINANCE, Role.AUDITOR))]
Officer = Annotated[User, Depends(require_roles(Role.FINANCE))]

ProgrammeFilter = Annotated[str | None, Query(pattern=f"^{PROGRAMME_ID}$", description="a programme id")]
AccountFilter = Annotated[
    str | None,
    Query(
        pattern=account_code_pattern(PROGRAMME_ID),
        description="an account code: programme/<programme id>/<kind> or grant/<grant id>/<kind>",
    ),
]


# The shapes OpenAPI's `date` and `date-time` (RFC 3339) formats allow, and nothing more lenient:
# Python's fromisoformat alone would also take "20250101" or "2025-01-01T10", which the document
# does not declare.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
DATE_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string", "format": "date"}]}
INSTANT_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}
_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def _invalid(name: str, expected: str) -> ProblemError:
    return validation_error([FieldProblem(in_="query", pointer=f"/{name}", detail=f"expected {expected}")])


def query_date(text: str | None, *, name: str) -> date | None:
    """A query parameter declared as a `date`: YYYY-MM-DD, a day that exists."""
    if text is None:
        return None
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _invalid(name, "a date (YYYY-MM-DD)")


def instant_bound(text: str | None, *, name: str, end_of_day: bool) -> datetime | None:
    """A query parameter as an exclusive upper (or inclusive lower) bound: a date means the
    whole day (its end for `as_of`/`to`, its start for `from`), an RFC 3339 date-time that
    instant. A bound past what Python's datetime holds is the earliest (latest) one it holds."""
    if text is None:
        return None
    expected = "a date (YYYY-MM-DD) or an RFC 3339 date-time with its offset"
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            if end_of_day and day == date.max:
                return _LATEST
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), UTC)
        if not _DATE_TIME.fullmatch(text):
            raise _invalid(name, expected)
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise _invalid(name, expected) from None
    try:
        moment = moment.astimezone(UTC)
        return moment + timedelta(microseconds=1) if end_of_day else moment
    except OverflowError:
        return _LATEST if moment.year == datetime.max.year else _EARLIEST


async def as_of(
    as_of: Annotated[
        str | None,
        Query(
            description="a past date or date-time; balances as they stood then",
            json_schema_extra=INSTANT_SCHEMA,
        ),
    ] = None,
) -> datetime | None:
    return instant_bound(as_of, name="as_of", end_of_day=True)


AsOf = Annotated[datetime | None, Depends(as_of)]
