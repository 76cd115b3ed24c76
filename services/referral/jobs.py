"""Referral's periodic work: the escalation sweep, as a `shared.jobs.PeriodicJob`.

Every `interval_s` seconds (and once at start) the sweep escalates the referrals still unanswered
past their deadline (use_cases/escalation.py). A round that fails is logged and the next one
tries again; several processes may sweep at once (the overdue rows are taken with SKIP LOCKED).
"""

from __future__ import annotations

from shared.db import Pool
from shared.jobs import PeriodicJob

from .use_cases.context import ReferralContext
from .use_cases.escalation import escalate_overdue

ESCALATION_SWEEP = "referral-escalation-sweep"


def escalation_sweep(pool: Pool, context: ReferralContext, interval_s: float) -> PeriodicJob:
    async def sweep_once() -> int:
        return await escalate_overdue(pool, context.topics, context.clock())

    return PeriodicJob(ESCALATION_SWEEP, interval_s, sweep_once)
