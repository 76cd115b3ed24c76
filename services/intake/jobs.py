"""Intake's periodic work: the retention purge, once a day by default — every closed case whose
programme's retention period is over has its personal data erased (use_cases/privacy.py)."""

from __future__ import annotations

from services.intake.core.retention import Retention
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.privacy import purge
from shared.jobs import PeriodicJob
from shared.privacy import RETENTION_JOB


def retention_purge(context: IntakeContext, retention: Retention, interval_s: float) -> PeriodicJob:
    async def purge_once() -> None:
        await purge(context, retention, RETENTION_JOB)

    return PeriodicJob("privacy-purge", interval_s, purge_once)
