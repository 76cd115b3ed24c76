"""The grants service's periodic work: the due check."""

from __future__ import annotations

from shared.jobs import PeriodicJob

from .use_cases.context import GrantsContext
from .use_cases.due import installments_falling_due


def due_check(context: GrantsContext, interval_s: float) -> PeriodicJob:
    """At start and every `interval_s`: installments whose date has come (by the context's
    today) fall due."""

    async def run_once() -> int:
        return await installments_falling_due(context, context.today())

    return PeriodicJob("grants-due-check", interval_s, run_once)
