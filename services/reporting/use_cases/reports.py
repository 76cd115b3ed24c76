"""A programme's report for a reader: scoped by the reader's programmes (failing closed), read from
one consistent snapshot of the live generation."""

from __future__ import annotations

from services.reporting.core.errors import NotFound
from services.reporting.core.facts import Period
from services.reporting.core.report import programme_report
from services.reporting.core.tables import Report
from services.reporting.store import model, reads
from shared.identity.model import User

from .context import ReportingContext


async def visible_programmes(context: ReportingContext, reader: User) -> list[str]:
    """The programmes the model has data for that the reader may see (none for a reader with no
    programmes: scopes fail closed)."""
    async with context.pool.acquire() as connection:
        generation = await model.live_generation(connection)
        return [p for p in await reads.programmes(connection, generation) if reader.may_see_programme(p)]


async def report_for(context: ReportingContext, reader: User, programme_id: str, period: Period) -> Report:
    """NotFound for a programme outside the reader's scope, as for one nobody reported on: the
    answer does not say which programmes exist."""
    if not reader.may_see_programme(programme_id):
        raise NotFound(f"no programme {programme_id!r} to report on")
    async with (
        context.pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        generation = await model.live_generation(connection)
        if programme_id not in await reads.programmes(connection, generation):
            raise NotFound(f"no programme {programme_id!r} to report on")
        schedule = context.schedules.get(programme_id, ())
        facts = await reads.programme_facts(connection, generation, programme_id, schedule)
    return programme_report(facts, period)
