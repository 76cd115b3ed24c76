"""One round of the due check: installments that wait N days after arrival fall due on their date."""

from __future__ import annotations

from datetime import date
from itertools import groupby

import structlog

from services.grants.store import installments as installment_store
from shared.db import transaction

from .context import GrantsContext
from .milestones import fall_due

log = structlog.get_logger("grants.due_check")


async def installments_falling_due(context: GrantsContext, today: date, batch: int = 500) -> int:
    """Mark due every waiting installment of an open grant whose date is `today` or past, with an
    InstallmentDue each; return how many. Callable directly (tests pass their own `today`)."""
    total = 0
    while True:
        async with transaction(context.pool) as connection:
            found = await installment_store.waiting_installments_due_by(connection, today, batch)
            by_grant = sorted(found, key=lambda i: i.grant_id)
            for _, of_one_grant in groupby(by_grant, key=lambda i: i.grant_id):
                await fall_due(connection, context, list(of_one_grant))
        total += len(found)
        if len(found) < batch:
            break
    if total:
        log.info("installments fell due", count=total, today=today.isoformat())
    return total
