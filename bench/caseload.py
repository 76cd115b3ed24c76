"""Cost as the work grows (issue 16, point 4): the caseload doubled four times (1k → 16k cases by
default), and at each size what a caseworker and the services feel:

- registration: p50/p99 ms of `POST /v1/cases` through the running intake, one at a time;
- routing: events/s of a fixed batch of NeedsAssessed through the referral service, timed until
  every ReferralIssued is readable on its partner topic;
- the case list: p50/p99 ms of `GET /v1/cases` (the caseworker's newest 20, and a name search);
- `GET /v1/ledger/verify`'s use case over the whole ledger: seconds and entries/s;
- the referral sweeps (retry unplaced, re-route escalated): ms per sweep;
- one commitment posting through grants' ledger (its commit-time checks included): ms.

Each row prints the figure at every size and its growth (largest size / smallest; for a rate, the
time per event or entry), and is met when that growth is at most the caseload's (x16: linear).
The verify is expected to grow linearly (it reads every entry); everything else should stay flat.

How the caseload is seeded (not timed): cases through intake's own HTTP API (16 in flight: every
row the service writes, access log and outbox included); referrals by the referral service itself
from NeedsAssessed events on its topic (its own inbox, routing and outbox); each case's grant as six
ledger entries (a commitment and two installments paid) bulk-loaded with grants' own chain code
(`ledger_verify.copy_grants`: the same rows and hashes `append_postings` writes, by COPY).

Intake runs as its own process (as in production); referral and the ledger in the bench process
(their topics under a prefix of their own, so intake's events do not reach this referral)."""

from __future__ import annotations

import asyncio
import random
import statistics
import string
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from services.grants.core.ledger.postings import commitment
from services.grants.store import ledger as ledger_store
from services.referral.app import create_app, service_topics
from services.referral.use_cases.automatic import reroute_escalations, retry_unplaced
from shared.db import Pool, create_pool, migrate
from shared.money import Money
from shared.topics import Topics, ensure_topics

from .env import BenchSpace
from .http_client import RawHttpClient
from .kafka_tools import ReadableCounter, envelope_records, fill_topic
from .ledger import GRANTS_MIGRATIONS, fund
from .ledger_verify import copy_grants, timed_verify
from .report import Report, Row
from .services import RunningService, Services, caseworker_token
from .workload import needs_assessed_events, partners_yaml, registration

BENCHMARK = "caseload"
SIZES = (1_000, 2_000, 4_000, 8_000, 16_000)
QUICK_SIZES = (100, 200, 400, 800, 1_600)
PROGRAMME = "BENCH-AVRR"
SEED_CONCURRENCY = 16


def _distinct(rng: random.Random, body: dict[str, Any], today: date) -> dict[str, Any]:
    """`body` with people no one else in the run resembles: random names (two words of random
    letters) and random days of birth, so the likely-duplicate check (which is measured) never stops
    a registration — `workload.registration`'s names share a prefix, too alike at 16k cases."""

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 10))).capitalize()

    for member in body["members"]:
        member["name"] = f"{word()} {word()}"
        years = (20, 60) if member["relationship"] == "principal" else (1, 17)
        member["date_of_birth"] = (
            today - timedelta(days=rng.randint(365 * years[0], 365 * years[1]))
        ).isoformat()
    return body


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _timed(count: int, call: Callable[[int], Awaitable[None]]) -> list[float]:
    """ms of each of `count` calls, one after the other."""
    out = []
    for index in range(count):
        began = time.perf_counter()
        await call(index)
        out.append(1000 * (time.perf_counter() - began))
    return out


class Caseload:
    """The running services and stores of one run, grown size by size."""

    def __init__(
        self, space: BenchSpace, intake: RunningService, token: str, ledger: Pool, referral: Any
    ) -> None:
        self.space, self.intake, self.ledger, self.referral = space, intake, ledger, referral
        self.headers = {"Authorization": f"Bearer {token}"}
        self.client = self.connect()
        self.rng = random.Random(16)
        self.today = datetime.now(UTC).date()
        self.cases = 0
        self.referrals_expected = 0
        self.batches = 0

    def connect(self) -> RawHttpClient:
        return RawHttpClient(self.intake.url, self.headers, max_connections=SEED_CONCURRENCY)

    async def reconnect(self) -> None:
        """Fresh connections: the raw client does not retry one the server closed while idle
        (uvicorn's keep-alive), and the ledger and sweep phases leave them idle for seconds."""
        await self.client.close()
        self.client = self.connect()

    async def register(self, body: dict[str, Any]) -> None:
        status, data = await self.client.request("POST", "/v1/cases", body)
        if status != 201:
            raise RuntimeError(f"registration answered {status}: {data[:200]!r}")
        self.cases += 1

    async def grow_to(self, size: int) -> None:
        missing = size - self.cases
        if missing <= 0:
            return
        bodies = [_distinct(self.rng, registration(self.rng, self.today), self.today) for _ in range(missing)]
        pending = iter(bodies)

        async def worker() -> None:
            for body in pending:
                await self.register(body)

        await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))
        await self.route(missing, timeout=300.0)
        await copy_grants(self.ledger, PROGRAMME, [uuid.uuid4() for _ in range(missing)])

    async def route(self, events: int, *, timeout: float) -> float:
        """Put `events` NeedsAssessed on referral's topic; seconds until all their referrals are
        readable on the partner topics."""
        self.batches += 1
        envelopes, referrals = needs_assessed_events(events, seed=1000 + self.batches)
        began = time.perf_counter()
        await fill_topic(self.space.infra.kafka, self.referral.returnees, envelope_records(envelopes))
        self.referrals_expected += referrals
        issued, _ = await self.referral.counter.wait_for(self.referrals_expected, timeout=timeout)
        if issued < self.referrals_expected:
            raise RuntimeError(f"routing timed out: {issued} of {self.referrals_expected} referrals")
        return time.perf_counter() - began

    async def list_page(self, path: str) -> None:
        status, data = await self.client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {data[:200]!r}")


class ReferralInProcess:
    def __init__(self, app: Any, returnees: str, counter: ReadableCounter) -> None:
        self.app, self.returnees, self.counter = app, returnees, counter


async def measure(
    load: Caseload, *, registrations: int, routed: int, lists: int, sweeps: int
) -> dict[str, float]:
    rng = random.Random(load.cases)
    bodies = [_distinct(rng, registration(rng, load.today), load.today) for _ in range(registrations)]
    await load.reconnect()
    # the intake process's CPU per request beside each latency: on a shared machine the latency
    # is mostly other processes, the CPU is intake's own work
    cpu = load.intake.cpu()
    registered = await _timed(registrations, lambda i: load.register(bodies[i]))
    registered_cpu, cpu = 1000 * (load.intake.cpu() - cpu) / registrations, load.intake.cpu()
    newest = await _timed(lists, lambda _: load.list_page("/v1/cases?limit=20"))
    newest_cpu, cpu = 1000 * (load.intake.cpu() - cpu) / lists, load.intake.cpu()
    search = await _timed(lists, lambda _: load.list_page("/v1/cases?limit=20&q=Qqzz"))
    search_cpu = 1000 * (load.intake.cpu() - cpu) / lists
    route_seconds = await load.route(routed, timeout=300.0)
    verify = await timed_verify(load.ledger)
    if not verify.ok:
        raise RuntimeError("the seeded ledger does not verify")
    app = load.referral.app
    now = datetime.now(UTC)
    retry = await _timed(sweeps, lambda _: _ignore(retry_unplaced(app.state.pool, app.state.context, now)))
    reroute = await _timed(
        sweeps,
        lambda _: _ignore(reroute_escalations(app.state.pool, app.state.context, now, timedelta(hours=48))),
    )
    posting = await _timed(sweeps, lambda _: _commit_one(load.ledger))
    return {
        "registration p50 ms": statistics.median(registered),
        "registration p99 ms": _p(registered, 0.99),
        "registration intake CPU ms": registered_cpu,
        "routing events/s": routed / route_seconds,
        "case list p50 ms": statistics.median(newest),
        "case list p99 ms": _p(newest, 0.99),
        "case list intake CPU ms": newest_cpu,
        "name search p50 ms": statistics.median(search),
        "name search p99 ms": _p(search, 0.99),
        "name search intake CPU ms": search_cpu,
        "ledger verify s": verify.seconds,
        "ledger verify entries/s": verify.per_second,
        "ledger entries": float(verify.entries),
        "retry-unplaced sweep ms": statistics.median(retry),
        "re-route-escalated sweep ms": statistics.median(reroute),
        "commitment posting ms": statistics.median(posting),
    }


async def _ignore(call: Awaitable[Any]) -> None:
    await call


async def _commit_one(pool: Pool) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await ledger_store.append_posting(
            connection, commitment(PROGRAMME, uuid.uuid4(), Money(amount=1_000, currency="EUR")), "bench"
        )


# rows where a higher figure is better: growth is judged on the inverse (time per unit)
RATES = ("routing events/s", "ledger verify entries/s")
# rows that are expected to grow with the caseload, at most linearly: the others should stay flat
GROWS = ("ledger verify s",)


def growth_rows(sizes: Sequence[int], steps: list[dict[str, float]]) -> list[Row]:
    """One row per figure: its value at each size and growth largest/smallest, met when the cost
    per unit of work grows at most linearly with the caseload (size ratio)."""
    ratio = sizes[-1] / sizes[0]
    rows = []
    for name in steps[0]:
        if name == "ledger entries":
            continue
        values = [step[name] for step in steps]
        first, last = values[0], values[-1]
        growth = (last / first if name not in RATES else first / last) if first and last else float("inf")
        figures: dict[str, Any] = {f"{size:,}": value for size, value in zip(sizes, values, strict=True)}
        figures[f"growth {sizes[-1]:,}/{sizes[0]:,}"] = growth
        # the verify reads every entry: linear in the ledger, whose size is not exactly the cases'
        limit = steps[-1]["ledger entries"] / steps[0]["ledger entries"] if name in GROWS else ratio
        rows.append(
            Row(
                BENCHMARK,
                name,
                figures,
                target=f"grows <= x{limit:.3g} ({'entries' if name in GROWS else 'cases'}: linear)",
                met=growth <= limit,
                notes="rate: growth is of the time per event/entry" if name in RATES else "",
            )
        )
    return rows


async def _started_counter(bootstrap: str, names: list[str], timeout: float = 30.0) -> ReadableCounter:
    """A counter over topics just created: the broker's metadata may take a moment to name them."""
    deadline = time.monotonic() + timeout
    while True:
        counter = ReadableCounter(bootstrap, names)
        try:
            await counter.start()
            return counter
        except RuntimeError:
            await counter.stop()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def caseload_benchmark(
    space: BenchSpace,
    report: Report,
    *,
    sizes: Sequence[int] = SIZES,
    registrations: int = 200,
    routed: int = 1_000,
    lists: int = 100,
    sweeps: int = 5,
) -> None:
    token = await caseworker_token(space)
    ledger_schema = space.schema("caseload_ledger")
    await migrate(space.infra.database_url, ledger_schema, [GRANTS_MIGRATIONS])
    ledger = await create_pool(space.infra.database_url, ledger_schema, min_size=1, max_size=2)
    config = space.config_dir(partners_yaml())
    settings = space.settings("caseload_referral", config_dir=config, topic_prefix=f"{space.prefix}ref.")
    app = create_app(settings, sweep_interval_s=3600)
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap_servers, service_topics(topics, app.state.directory))
    counter = await _started_counter(
        settings.kafka_bootstrap_servers, [topics.partner(pid).name for pid in app.state.directory.ids()]
    )
    steps: list[dict[str, float]] = []
    log_dir = Path(__file__).parent / "results" / "logs"
    try:
        await fund(ledger, PROGRAMME)
        async with Services(space, {"intake": {}}, log_dir) as running, app.router.lifespan_context(app):
            load = Caseload(
                space,
                running["intake"],
                token,
                ledger,
                ReferralInProcess(app, topics.returnees.name, counter),
            )
            try:
                for size in sizes:
                    await load.reconnect()
                    await load.grow_to(size)
                    steps.append(
                        await measure(
                            load, registrations=registrations, routed=routed, lists=lists, sweeps=sweeps
                        )
                    )
                    print(f"caseload {size:,}: {steps[-1]}", flush=True)
            finally:
                await load.client.close()
    finally:
        await counter.stop()
        await ledger.close()
    for row in growth_rows(sizes, steps):
        report.add(row)
