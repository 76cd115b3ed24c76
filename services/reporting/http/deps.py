"""What the reporting routes use: the context, who may read reports, and the period asked for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services.reporting.core.errors import InvalidPeriod
from services.reporting.core.facts import Period
from services.reporting.use_cases.context import ReportingContext
from shared.http.auth import require_roles
from shared.http.problems import FieldProblem, validation_error
from shared.identity.model import Role, User

# a programme id as the donor policies name them
PROGRAMME_ID = r"^[A-Z0-9][A-Z0-9-]{1,40}$"
# reports read aggregates only: managers of their programmes, and admins (every programme)
REPORT_READERS = (Role.MANAGER, Role.ADMIN)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_SCHEMA: dict[str, Any] = {"type": "string", "format": "date"}


async def reporting_context(request: Request) -> ReportingContext:
    context: ReportingContext = request.app.state.reporting
    return context


Context = Annotated[ReportingContext, Depends(reporting_context)]
Reader = Annotated[User, Depends(require_roles(*REPORT_READERS))]


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise validation_error(
        [FieldProblem(in_="query", pointer=f"/{name}", detail="expected a date (YYYY-MM-DD)")]
    )


async def period(
    from_: Annotated[
        str | None,
        Query(
            alias="from", description="first day (default: a year before `to`)", json_schema_extra=DATE_SCHEMA
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="last day, included (default: today, UTC)", json_schema_extra=DATE_SCHEMA),
    ] = None,
) -> Period:
    end = _day(to, "to") or datetime.now(UTC).date()
    start = _day(from_, "from")
    if start is None:
        start = end - timedelta(days=365) if end > date.min + timedelta(days=365) else date.min
    try:
        return Period(start, end)
    except InvalidPeriod as error:
        raise validation_error([FieldProblem(in_="query", pointer="/from", detail=str(error))]) from None


Within = Annotated[Period, Depends(period)]
