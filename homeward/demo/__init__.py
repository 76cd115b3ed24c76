"""`homeward demo`: a realistic year against the running system (`make run` in another terminal),
through its public interfaces only: HTTP and Kafka.

A generated caseload is registered, assessed and planned by caseworkers; supervisors approve plans;
simulated partners (examples/simulated_partners.py, built on examples/partner_consumer.py) accept,
decline and complete referrals; finance records donor funding and pays installments with two
officers each. Arrivals are back-dated over the last twelve months, so monitoring visits take place
and outcome milestones fall due; the summary ends with a programme's twelve-month report from the
reporting service (its workbook and chart page saved under --report-dir). A progress bar while
it runs; a summary at the end, also as JSON."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_SUMMARY = Path(".local") / "demo-summary.json"
DEFAULT_REPORT_DIR = Path(".local") / "demo-report"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("demo", help="drive a realistic day against the running system")
    parser.add_argument("--cases", type=int, default=200, help="how many cases to work (default: 200)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed makes the same caseload")
    for service, port in (("intake", 8001), ("referral", 8002), ("grants", 8003), ("reporting", 8004)):
        url = f"http://127.0.0.1:{port}"
        parser.add_argument(f"--{service}", default=url, metavar="URL", help=f"{service} (default: {url})")
    parser.add_argument(
        "--admin-token",
        default=None,
        help="an admin's token (default: $HOMEWARD_DEMO_ADMIN_TOKEN; `make run` prints one the first time)",
    )
    parser.add_argument(
        "--bootstrap", default=None, help="Kafka bootstrap servers (default: as the services')"
    )
    parser.add_argument("--topic-prefix", default=None, help="topic prefix (default: $HOMEWARD_TOPIC_PREFIX)")
    parser.add_argument(
        "--deadline", type=float, default=600.0, metavar="SECONDS", help="stop after this long"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="cases worked at once (default: 8)")
    parser.add_argument(
        "--summary", type=Path, default=DEFAULT_SUMMARY, help=f"JSON summary (default: {DEFAULT_SUMMARY})"
    )
    parser.add_argument(
        "--report-programme",
        default="NL-AVRR",
        metavar="ID",
        help="the programme whose twelve-month report ends the summary (default: NL-AVRR)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help=f"where the report's workbook and chart page go (default: {DEFAULT_REPORT_DIR})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from homeward.demo.caseload import PROGRAMMES
    from homeward.demo.client import Api, Endpoints, SystemNotRunning
    from homeward.demo.driver import Options, run_demo
    from homeward.demo.team import AdminTokenRefused
    from shared.settings import Settings

    if args.report_programme not in {p.id for p in PROGRAMMES}:
        known = ", ".join(p.id for p in PROGRAMMES)
        print(f"homeward demo: --report-programme is one of {known}", file=sys.stderr)
        return 2
    if args.cases < 1 or args.concurrency < 1 or args.deadline <= 0:
        print(
            "homeward demo: --cases and --concurrency must be 1 or more, --deadline positive", file=sys.stderr
        )
        return 2
    admin_token = args.admin_token or os.environ.get("HOMEWARD_DEMO_ADMIN_TOKEN", "")
    if not admin_token:
        print(
            "homeward demo: it needs an admin's token to make its users: pass --admin-token or set"
            " HOMEWARD_DEMO_ADMIN_TOKEN (`make run` prints one the first time it starts;"
            " `homeward users add NAME --role admin` makes another)",
            file=sys.stderr,
        )
        return 2
    settings = Settings()
    options = Options(
        cases=args.cases,
        seed=args.seed,
        endpoints=Endpoints(args.intake, args.referral, args.grants, args.reporting),
        admin_token=admin_token,
        bootstrap=args.bootstrap or settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix if args.topic_prefix is None else args.topic_prefix,
        deadline_s=args.deadline,
        concurrency=args.concurrency,
        summary_path=args.summary,
        report_programme=args.report_programme,
        report_dir=args.report_dir,
    )

    async def main() -> int:
        api = Api(options.endpoints)
        try:
            await api.check_ready()
            return await run_demo(options, api, lambda line: print(line, flush=True))
        finally:
            await api.close()

    try:
        return asyncio.run(main())
    except (SystemNotRunning, AdminTokenRefused) as error:
        print(f"homeward demo: {error}", file=sys.stderr)
        return 2
    except TimeoutError:
        print(
            "homeward demo: the system did not answer the summary's questions in time",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("homeward demo: interrupted", file=sys.stderr)
        return 130
