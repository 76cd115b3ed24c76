"""Escalation: a referral with no answer past its deadline goes back to the caseworker.

`escalate_overdue(pool, topics, now)` escalates each overdue referral once (its status moves to
`escalated`, so the next round does not see it) and publishes ReferralEscalated and
ReferralStatusChanged on `referral.status.v1`. The service runs it as a periodic job (jobs.py);
tests call it directly with a `now` in the future.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from prometheus_client import Counter

from services.referral.core.events import Occasion
from services.referral.store import referrals
from services.referral.store.casebook import CaseBook
from shared.db import Pool, transaction
from shared.events import ReferralStatus
from shared.topics import Topics

from .referral_changes import ReferralChanges

log = structlog.get_logger("referral.escalation")

REFERRALS_ESCALATED = Counter(
    "homeward_referrals_escalated_total", "Referrals escalated because their partner did not answer in time"
)


async def escalate_overdue(pool: Pool, topics: Topics, now: datetime, *, batch_size: int = 200) -> int:
    """Escalate every referral still `issued` at `now` past its deadline; return how many."""
    total = 0
    while True:
        async with transaction(pool) as connection:
            overdue = await referrals.overdue_referrals(connection, now, batch_size)
            book = CaseBook(connection)
            book.track(overdue)
            changes = ReferralChanges(book, topics, Occasion(now))
            for referral in overdue:
                changes.move(referral, ReferralStatus.ESCALATED, "no answer by the deadline")
            await book.flush()
        REFERRALS_ESCALATED.inc(len(overdue))  # counted once its transaction committed
        total += len(overdue)
        if len(overdue) < batch_size:
            break
    if total:
        log.info("overdue referrals escalated", count=total)
    return total
