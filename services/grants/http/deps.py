"""Dependencies every route uses: the service context, who may call, and the `as_of` instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request

from services.grants.use_cases.context import GrantsContext
from shared.http.auth import require_roles
from shared.http.problems import FieldProblem, validation_error
from shared.identity.model import Role, User


def grants_context(request: Request) -> GrantsContext:
    context: GrantsContext = request.app.state.grants
    return context


# Bounds on paging numbers: past them PostgreSQL's bigint overflows (a 500, not an empty page)
MAX_BIGINT = 2**63 - 1
MAX_OFFSET = 1_000_000_000

Context = Annotated[GrantsContext, Depends(grants_context)]
Reader = Annotated[User, Depends(require_roles(Role.FINANCE, Role.AUDITOR))]
Officer = Annotated[User, Depends(require_roles(Role.FINANCE))]


def instant_bound(text: str | None, *, name: str, end_of_day: bool) -> datetime | None:
    """A query parameter as an exclusive upper (or inclusive lower) bound: a date means the
    whole day (its end for `as_of`/`to`, its start for `from`), a datetime means that instant."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problem = FieldProblem(
            in_="query", pointer=f"/{name}", detail="expected a date (YYYY-MM-DD) or an ISO 8601 datetime"
        )
        raise validation_error([problem]) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment + timedelta(microseconds=1) if end_of_day else moment


def as_of(
    as_of: Annotated[
        str | None, Query(description="a past date or datetime; balances as they stood then")
    ] = None,
) -> datetime | None:
    return instant_bound(as_of, name="as_of", end_of_day=True)


AsOf = Annotated[datetime | None, Depends(as_of)]
