"""A steady flow of events for the cluster test: intake's events produced at a fixed rate by the
test (acting as intake, as every fault test does), with the progress the test times its faults by."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.events import Envelope

from .caseload import Producer
from .processes import ServiceProcess


@dataclass
class SteadyFlow:
    """`envelopes` to `topic`, `rate` a second, in ticks of a tenth of a second."""

    producer: Producer
    topic: str
    envelopes: list[Envelope]
    rate: float
    sent: int = 0
    deliveries: list[asyncio.Future[Any]] = field(default_factory=list)

    async def run(self) -> None:
        """Queue every envelope at the rate (the producer delivers in the background, retrying
        through a leader change), then wait until the cluster acknowledged each one."""
        began, per_tick = time.monotonic(), max(1, round(self.rate / 10))
        while self.sent < len(self.envelopes):
            chunk = self.envelopes[self.sent : self.sent + per_tick]
            self.deliveries += await self.producer.send(self.topic, chunk)
            self.sent += len(chunk)
            # the schedule, not the previous tick, sets the next send: a slow tick is caught up
            due = began + self.sent / self.rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await asyncio.gather(*self.deliveries)

    async def reached(self, count: int, timeout: float = 120.0) -> float:
        """Wait until `count` envelopes are sent; return when (epoch seconds)."""
        deadline = time.monotonic() + timeout
        while self.sent < count:
            assert time.monotonic() < deadline, f"only {self.sent} of {count} events sent in {timeout:.0f}s"
            await asyncio.sleep(0.02)
        return time.time()


@dataclass
class ReadinessWatch:
    """`/readyz` of `processes`, asked every half second: the answers that were not 200, with when
    and why (what a Kubernetes readiness probe would have seen)."""

    processes: list[ServiceProcess]
    refusals: list[tuple[float, str, str]] = field(default_factory=list)  # (epoch, process, why)
    asked: int = 0

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=3.0) as client:
            while True:
                for process in self.processes:
                    self.asked += 1
                    try:
                        answer = await client.get(f"{process.url}/readyz")
                    except httpx.HTTPError as error:
                        self.refusals.append((time.time(), process.name, type(error).__name__))
                        continue
                    if answer.status_code != 200:
                        down = {
                            k: v for k, v in answer.json().get("checks", {}).items() if v["status"] != "up"
                        }
                        self.refusals.append((time.time(), process.name, str(down)[:200]))
                await asyncio.sleep(0.5)
