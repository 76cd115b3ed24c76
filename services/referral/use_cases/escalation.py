"""The escalation sweep: a referral with no answer past its deadline goes back to the caseworker.

`escalate_overdue(pool, topics, now)` escalates each overdue referral once (its status moves to
`escalated`, so the next sweep does not see it) and publishes ReferralEscalated and
ReferralStatusChanged on `referral.status.v1`. The service runs it every `interval_s` seconds;
tests call it directly with a `now` in the future.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import structlog

from services.referral.core.events import Outgoing
from services.referral.store import referrals as repo
from services.referral.store.casebook import CaseBook
from shared.db import Pool, transaction
from shared.events import ReferralStatus
from shared.topics import Topics
from shared.transient import is_transient

from .returnees import utc_now

log = structlog.get_logger("referral.sweep")


async def escalate_overdue(pool: Pool, topics: Topics, now: datetime, *, batch_size: int = 200) -> int:
    """Escalate every referral still `issued` at `now` past its deadline; return how many."""
    total = 0
    while True:
        async with transaction(pool) as connection:
            overdue = await repo.overdue_referrals(connection, now, batch_size)
            book = CaseBook(connection)
            book.track(overdue)
            out = Outgoing(book, topics, now, cause=None)
            for referral in overdue:
                out.change(referral, ReferralStatus.ESCALATED, "no answer by the deadline")
            await book.flush()
        total += len(overdue)
        if len(overdue) < batch_size:
            break
    if total:
        log.info("overdue referrals escalated", count=total)
    return total


class EscalationSweep:
    """Runs `escalate_overdue` every `interval_s` seconds until `stop()`."""

    def __init__(self, pool: Pool, topics: Topics, interval_s: float) -> None:
        self.pool = pool
        self.topics = topics
        self.interval_s = interval_s
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await escalate_overdue(self.pool, self.topics, utc_now())
            except Exception as error:
                if is_transient(error):
                    log.warning(
                        "sweep could not reach the database; next round retries", error=type(error).__name__
                    )
                else:
                    log.exception("escalation sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    def stop(self) -> None:
        self._stopping.set()
