"""Referral's periodic work, as `shared.jobs.PeriodicJob`s:

- the escalation sweep escalates the referrals still unanswered past their deadline
  (use_cases/escalation.py);
- the re-route sweep re-routes escalated referrals nobody held once their second deadline passed,
  and the retry sweep issues unplaced referrals where a place has freed (use_cases/automatic.py).

Every `interval_s` seconds (and once at start). A round that fails is logged and the next one
tries again; several processes may sweep at once (rows are locked, and each change checked again
under its lock).
"""

from __future__ import annotations

from datetime import timedelta

from shared.db import Pool
from shared.jobs import PeriodicJob

from .use_cases.automatic import reroute_escalations, retry_unplaced
from .use_cases.context import ReferralContext
from .use_cases.escalation import escalate_overdue

ESCALATION_SWEEP = "referral-escalation-sweep"
REROUTE_SWEEP = "referral-reroute-sweep"
RETRY_SWEEP = "referral-unplaced-retry"


def escalation_sweep(pool: Pool, context: ReferralContext, interval_s: float) -> PeriodicJob:
    async def sweep_once() -> int:
        return await escalate_overdue(pool, context.topics, context.clock())

    return PeriodicJob(ESCALATION_SWEEP, interval_s, sweep_once)


def reroute_sweep(
    pool: Pool, context: ReferralContext, interval_s: float, reroute_after: timedelta
) -> PeriodicJob:
    async def sweep_once() -> int:
        return await reroute_escalations(pool, context, context.clock(), reroute_after)

    return PeriodicJob(REROUTE_SWEEP, interval_s, sweep_once)


def retry_sweep(pool: Pool, context: ReferralContext, interval_s: float) -> PeriodicJob:
    async def sweep_once() -> int:
        return await retry_unplaced(pool, context, context.clock())

    return PeriodicJob(RETRY_SWEEP, interval_s, sweep_once)
