"""`python -m bench` (`make bench`): every benchmark beside its raw baseline, in one run on one
broker and database; prints the table and writes `bench/results/latest.json`.

    python -m bench                       # all of them
    python -m bench --only routing ledger # some
    python -m bench --quick               # smaller counts: a check that it all runs, not a measurement
    python -m bench --profile routing     # pyinstrument over the service part: bench/results/profile-*.html
    python -m bench --only caseload       # 1k → 16k cases, and the ledger verify of 1,000,000 entries
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from shared.logging import configure_logging

from .caseload import QUICK_SIZES, SIZES, caseload_benchmark
from .env import BenchSpace, Infra, infrastructure
from .intake_http import intake_http_benchmark
from .latency import latency_benchmark
from .ledger import ledger_benchmark
from .ledger_verify import ledger_verify_benchmark
from .report import RESULTS_DIR, Report, Row, run_context
from .routing import routing_benchmark

BENCHMARKS = ("routing", "latency", "ledger", "intake", "caseload")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="small counts: checks the harness runs")
    parser.add_argument("--events", type=int, default=20_000, help="routing: events through the service")
    parser.add_argument("--naive-events", type=int, default=1_500, help="routing: through the naive loop")
    parser.add_argument("--postings", type=int, default=20_000, help="ledger: disbursement postings")
    parser.add_argument("--registrations", type=int, default=3_000, help="intake HTTP: registrations")
    parser.add_argument("--rates", type=int, nargs="+", default=[100, 500, 1000, 1500], help="latency: req/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="latency: seconds of load per rate")
    parser.add_argument(
        "--caseload-sizes", type=int, nargs="+", default=list(SIZES), help="caseload: cases at each step"
    )
    parser.add_argument(
        "--ledger-entries", type=int, default=1_000_000, help="caseload: the ledger the verify walks"
    )
    parser.add_argument("--profile", choices=("routing",), help="profile that benchmark's service part")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.naive_events, args.postings, args.registrations, args.seconds = (
            2_000,
            300,
            2_000,
            300,
            1.0,
        )
        args.caseload_sizes, args.ledger_entries = list(QUICK_SIZES), 20_000
    return args


@contextlib.asynccontextmanager
async def _profiler(path: Path) -> AsyncIterator[None]:
    from pyinstrument import Profiler  # a dev tool (pip install pyinstrument): imported only when asked for

    profiler = Profiler(async_mode="disabled", interval=0.001)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        _write_profile(profiler, path)


def _write_profile(profiler: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profiler.output_html(), encoding="utf-8")
    path.with_suffix(".txt").write_text(profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
    print(f"profile written: {path} (and .txt)")


async def run(args: argparse.Namespace, infra: Infra) -> Report:
    space = BenchSpace(infra)
    report = Report(context=run_context(kafka=infra.kafka, database=infra.database_url, infra=infra.source))
    report.context["arguments"] = {k: str(v) for k, v in vars(args).items()}
    profiler: Any = (
        _profiler(args.output.parent / "profile-routing.html") if args.profile == "routing" else None
    )
    benchmarks: dict[str, Callable[[], Awaitable[None]]] = {
        "routing": lambda: routing_benchmark(
            space, report, events=args.events, naive_events=args.naive_events, profiler=profiler
        ),
        "latency": lambda: latency_benchmark(space, report, rates=args.rates, seconds=args.seconds),
        "intake": lambda: intake_http_benchmark(space, report, registrations=args.registrations),
        "ledger": lambda: ledger_benchmark(space, report, postings=args.postings),
        "caseload": lambda: _caseload(space, report, args),
    }
    try:
        for name in BENCHMARKS:
            if name not in args.only:
                continue
            try:
                await benchmarks[name]()
            except Exception as error:  # one broken benchmark must not hide the others' figures
                logging.getLogger("bench").exception("benchmark %s failed", name)
                report.add(
                    Row(name, "FAILED", {"error": f"{type(error).__name__}: {error}"[:200]}, met=False)
                )
            print(report.table(), flush=True)
    finally:
        await space.cleanup()
    return report


async def _caseload(space: BenchSpace, report: Report, args: argparse.Namespace) -> None:
    quick = {"registrations": 30, "routed": 200, "lists": 30, "sweeps": 3} if args.quick else {}
    await caseload_benchmark(space, report, sizes=args.caseload_sizes, **quick)
    await ledger_verify_benchmark(space, report, entries=args.ledger_entries)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # the services run on uvloop in production (uvicorn picks it up): so do the in-process service
    # and the baselines beside it
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    configure_logging("bench", "WARNING", "json")
    logging.getLogger("bench").setLevel(logging.INFO)
    with infrastructure() as infra:
        print(f"bench: kafka {infra.kafka}, postgres {infra.database_url} ({infra.source})", flush=True)
        report = asyncio.run(run(args, infra))
    print()
    print(report.table())
    path = report.write_json(args.output)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
