"""Intake HTTP: registrations/s (`POST /v1/cases` with needs and consent) and the intake process's
CPU-microseconds per request — beside `GET /healthz` on the same process with the same client
(the HTTP stack's floor: uvicorn, middlewares, routing, no database).

Closed loop: `concurrency` requests in flight at all times. The intake process includes its outbox
relay, so a registration's CPU covers publishing its ReturneeRegistered too."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .env import BenchSpace
from .http_client import RawHttpClient
from .report import Report, Row
from .services import RunningService, Services, caseworker_token
from .workload import registration

BENCHMARK = "intake HTTP"
# issue 16's targets for registrations, on a quiet machine
TARGET_RATE = 1_200  # registrations/s
TARGET_CPU_US = 700  # the intake process's CPU-µs per registration


@dataclass(frozen=True)
class HttpRun:
    requests: int
    failures: int
    seconds: float
    cpu_seconds: float
    latencies_ms: list[float]
    client_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.cpu_seconds / self.requests if self.requests else 0.0

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "req/s": self.per_second,
            "CPU µs/req": self.cpu_us_per_request,
            "p50 ms": statistics.median(ordered),
            "p99 ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "requests": self.requests,
            "failed": self.failures,
            "client CPU µs/req": 1e6 * self.client_cpu_seconds / self.requests if self.requests else 0.0,
        }


async def closed_loop(
    service: RunningService,
    count: int,
    concurrency: int,
    request: Callable[[int], Awaitable[int]],
    expected: int,
) -> HttpRun:
    """`concurrency` workers send `request(i)` (which returns the status) until `count` are done."""
    latencies: list[float] = []
    failures = 0
    next_index = 0

    async def worker() -> None:
        nonlocal next_index, failures
        while next_index < count:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            status = await request(index)
            latencies.append(1000 * (time.perf_counter() - started))
            if status != expected:
                failures += 1

    cpu_before, client_before, began = service.cpu(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds, cpu = time.perf_counter() - began, service.cpu() - cpu_before
    return HttpRun(count, failures, seconds, cpu, latencies, time.process_time() - client_before)


async def intake_http_benchmark(
    space: BenchSpace, report: Report, *, registrations: int = 3_000, concurrency: int = 16
) -> None:
    token = await caseworker_token(space)
    rng = random.Random(5)
    today = datetime.now(UTC).date()
    bodies = [registration(rng, today) for _ in range(registrations + 50)]
    log_dir = Path(__file__).parent / "results" / "logs"
    async with Services(space, {"intake": {}}, log_dir) as running:
        intake = running["intake"]
        client = RawHttpClient(intake.url, {"Authorization": f"Bearer {token}"}, max_connections=concurrency)

        async def status_of(method: str, path: str, body: Any = None) -> int:
            return (await client.request(method, path, body))[0]

        try:
            # warm-up: connections, prepared statements, the relay's producer
            for body in bodies[:50]:
                await status_of("POST", "/v1/cases", body)
            health = await closed_loop(
                intake, registrations, concurrency, lambda _: status_of("GET", "/healthz"), 200
            )
            registered = await closed_loop(
                intake,
                registrations,
                concurrency,
                lambda i: status_of("POST", "/v1/cases", bodies[50 + i]),
                201,
            )
        finally:
            await client.close()
    report.add(Row(BENCHMARK, "GET /healthz (same process, same client)", health.figures(), baseline=True))
    figures = registered.figures()
    # on a busy machine the absolute figures move with the load; the ratios to /healthz, measured in
    # the same run, move much less
    figures["CPU vs healthz"] = (
        registered.cpu_us_per_request / health.cpu_us_per_request if health.cpu_us_per_request else 0.0
    )
    figures["healthz req/s per reg/s"] = (
        health.per_second / registered.per_second if registered.per_second else 0.0
    )
    report.add(
        Row(
            BENCHMARK,
            f"POST /v1/cases: registrations ({concurrency} in flight)",
            figures,
            target=f">= {TARGET_RATE:,}/s and <= {TARGET_CPU_US} CPU µs/req",
            met=registered.failures == 0
            and registered.per_second >= TARGET_RATE
            and registered.cpu_us_per_request <= TARGET_CPU_US,
            notes="CPU is the intake process's (API + outbox relay); the client runs in the bench process",
        )
    )
