"""Periodic work in one shape: every service's sweeps and due checks are `PeriodicJob`s.

A job runs `run_once()` at start and then every `interval_s` seconds until `stop()`; a round that
fails is logged — as a warning when the fault is transient (the database is away), as an alert
otherwise — and the next round tries again. `stop()` lets the current round finish.

    jobs = Jobs([PeriodicJob("escalation-sweep", 60.0, sweep_once)])
    jobs.start()
    ...
    await jobs.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

import structlog

from shared.metrics import JOB_ROUNDS
from shared.transient import is_transient

log = structlog.get_logger("shared.jobs")


class PeriodicJob:
    def __init__(
        self,
        name: str,
        interval_s: float,
        run_once: Callable[[], Awaitable[object]],
        *,
        transient: Callable[[BaseException], bool] = is_transient,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"job {name}: the interval must be more than 0 s")
        self.name = name
        self.interval_s = interval_s
        self.run_once = run_once
        self.transient = transient
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.run_round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    async def run_round(self) -> None:
        """One round, its failure logged and not raised (the loop carries on)."""
        try:
            await self.run_once()
            JOB_ROUNDS.labels(self.name, "done").inc()
        except Exception as error:
            JOB_ROUNDS.labels(self.name, "failed").inc()
            if self.transient(error):
                log.warning(
                    "job round failed; the next round retries", job=self.name, error_type=type(error).__name__
                )
            else:
                log.exception("job round failed", job=self.name, alert=True)

    def stop(self) -> None:
        self._stopping.set()


class Jobs:
    """The periodic jobs of one process, started and stopped together (by the app's lifespan)."""

    def __init__(self, jobs: Iterable[PeriodicJob] = ()) -> None:
        self.jobs = list(jobs)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(job.run(), name=f"job-{job.name}") for job in self.jobs]

    async def stop(self) -> None:
        for job in self.jobs:
            job.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
