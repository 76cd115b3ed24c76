"""The periodic due-check: installments that wait N days after arrival fall due on their date."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from itertools import groupby

import structlog

from services.grants.store import grants as grant_store
from shared.db import transaction
from shared.transient import is_transient

from .context import GrantsContext
from .opening import fall_due

log = structlog.get_logger("grants.due_check")


async def installments_falling_due(context: GrantsContext, today: date, batch: int = 500) -> int:
    """Mark due every waiting installment of an open grant whose date is `today` or past, with an
    InstallmentDue each; return how many. Callable directly (tests pass their own `today`)."""
    total = 0
    while True:
        async with transaction(context.pool) as connection:
            rows = await grant_store.waiting_installments_due_by(connection, today, batch)
            for _, group in groupby(sorted(rows, key=lambda r: r["grant_id"]), key=lambda r: r["grant_id"]):
                members = list(group)
                await fall_due(
                    connection,
                    context,
                    members,
                    case_id=members[0]["case_id"],
                    correlation_id=members[0]["correlation_id"],
                )
        total += len(rows)
        if len(rows) < batch:
            break
    if total:
        log.info("installments fell due", count=total, today=today.isoformat())
    return total


async def run_due_checks(context: GrantsContext, interval_s: float, stopping: asyncio.Event) -> None:
    """Check at start and then every `interval_s` until `stopping` is set."""
    while not stopping.is_set():
        try:
            await installments_falling_due(context, context.today())
        except Exception as error:
            if is_transient(error):
                log.warning(
                    "due-check could not reach the database; will retry", error_type=type(error).__name__
                )
            else:
                log.exception("due-check failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval_s)
