"""Intake's periodic work: the retention purge, once a day by default — every closed case whose
programme's retention period is over has its personal data erased (use_cases/privacy.py) — and
the missed arrivals, every few minutes."""

from __future__ import annotations

from datetime import timedelta

from services.intake.core.retention import Retention
from services.intake.use_cases.arrivals import mark_missed
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.privacy import purge
from shared.jobs import PeriodicJob
from shared.privacy import RETENTION_JOB


def retention_purge(context: IntakeContext, retention: Retention, interval_s: float) -> PeriodicJob:
    async def purge_once() -> None:
        await purge(context, retention, RETENTION_JOB)

    return PeriodicJob("privacy-purge", interval_s, purge_once)


def missed_arrivals(context: IntakeContext, grace: timedelta, interval_s: float) -> PeriodicJob:
    """Every `interval_s`: expected arrivals nobody confirmed by their scheduled time plus `grace`
    become `arrival_missed` (ArrivalMissed: their referrals are withdrawn, no grant opens)."""

    async def mark_once() -> None:
        await mark_missed(context, grace)

    return PeriodicJob("missed-arrivals", interval_s, mark_once)
