"""One demo run against a running system: staff hired, funding recorded, partners listening, the
caseload worked, everything left to settle (partners' answers, grants opening, payments), then the
summary read back from the system. Bounded by a deadline: the run always ends by itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from homeward.demo.caseload import PROGRAMMES, PlannedCase, caseload
from homeward.demo.casework import CaseRecord, work_case
from homeward.demo.client import Api, ApiError, Endpoints
from homeward.demo.finance import Finance
from homeward.demo.monitoring import Survey
from homeward.demo.partners import Behaviour, SimulatedPartners
from homeward.demo.progress import Progress
from homeward.demo.report import render
from homeward.demo.status_watch import StatusWatch, times_to_acceptance
from homeward.demo.summary import collect
from homeward.demo.team import Team, hire
from homeward.demo.year_report import YearReport

FIRST_TRANCHE, SECOND_TRANCHE = 0.6, 0.6  # of what the approved plans request, per programme


@dataclass(frozen=True)
class Options:
    cases: int
    seed: int
    endpoints: Endpoints
    admin_token: str
    bootstrap: str
    topic_prefix: str
    deadline_s: float
    concurrency: int
    summary_path: Path
    report_programme: str = "NL-AVRR"
    report_dir: Path = Path(".local") / "demo-report"


class Run:
    def __init__(
        self,
        options: Options,
        api: Api,
        team: Team,
        run_id: str,
        watch: StatusWatch,
        say: Callable[[str], None],
    ) -> None:
        self.options = options
        self.api = api
        self.team = team
        self.say = say
        self.run_id = run_id
        self.today = datetime.now(UTC).date()
        self.planned = caseload(options.cases, options.seed, self.today)
        self.survey: Survey | None = None
        self.records: list[CaseRecord] = []
        self.finance = Finance(api, team, self.run_id, options.seed)
        self.partners: SimulatedPartners | None = None
        self.watch = watch
        self.started = time.monotonic()

    def requested(self, programme_id: str) -> int:
        return sum(
            c.requested_total
            for c in self.planned
            if c.programme.id == programme_id and c.stage == "plan_approved"
        )

    async def fund(self, share: float, label: str) -> None:
        for programme in PROGRAMMES:
            amount = math.ceil(self.requested(programme.id) * share / 100_000) * 100_000  # whole thousands
            if amount > 0:
                await self.finance.fund(programme, amount, label)
        funded = ", ".join(
            f"{p.id} {self.finance.funded.get(p.id, 0) // 100:,} {p.currency}" for p in PROGRAMMES
        )
        self.say(f"finance   donor funding recorded ({label}); this run so far: {funded}")

    async def start_partners(self) -> None:
        directory = await self.api.get("referral", "/v1/partners", self.team.caseworkers[0].token)
        ids = [p["id"] for p in directory["partners"]]
        self.partners = SimulatedPartners(
            self.options.bootstrap, ids, self.options.topic_prefix, Behaviour(), self.options.seed
        )
        await self.partners.start()
        self.say(
            f"partners  {len(ids)} simulated partners reading their topics (built on partner_consumer.py)"
        )

    async def work_caseload(self) -> None:
        progress = Progress(len(self.planned), "cases", stream=sys.stdout)
        progress.update(0)
        gate = asyncio.Semaphore(self.options.concurrency)
        second_tranche = asyncio.Event()

        asked = await self.api.get("intake", "/v1/monitoring/survey", self.team.caseworkers[0].token)
        survey = Survey.of(asked)

        async def one(case: PlannedCase) -> None:
            async with gate:
                record = await work_case(self.api, self.team, self.run_id, case, survey, self.today)
            self.records.append(record)
            if record.case_id and record.error is None and case.stage == "plan_approved":
                self.finance.approved_cases.add(record.case_id)
                if case.verify_business_plan:
                    self.finance.verify_for.add(record.case_id)
            visits = sum(r.visits for r in self.records)
            progress.advance(
                f"visits: {visits}, grants open: {len(self.finance.grants)},"
                f" installments paid: {self.finance.disbursed}"
            )
            if len(self.records) * 2 >= len(self.planned) and not second_tranche.is_set():
                second_tranche.set()
                await self.fund(SECOND_TRANCHE, "tranche-2")

        await asyncio.gather(*(one(case) for case in self.planned))
        progress.finish()

    async def finance_office(self, stop: asyncio.Event) -> None:
        """Look after grants and pay what is due, twice a second; a refused call is noted (it shows
        in the summary) and the office carries on."""
        while not stop.is_set():
            try:
                await self.finance.look_after_grants()
                await self.finance.pay_what_is_due()
            except ApiError as error:
                self.finance.errors.append(str(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def referrals_settled(self) -> bool:
        """Every assessed case has a referral per need, and every referral still issued is one its
        partner chose not to answer (it will escalate at its deadline)."""
        if self.partners is None:
            raise RuntimeError("the simulated partners were not started")
        if self.partners.busy():
            return False
        token = self.team.caseworkers[0].token
        for record in self.records:
            if record.case_id is None or record.planned.assessment is None or record.error:
                continue
            found = (await self.api.get("referral", "/v1/referrals", token, case_id=record.case_id))[
                "referrals"
            ]
            if not set(record.planned.needs) <= {r["category"] for r in found}:
                return False
            for referral in found:
                if referral["status"] == "issued":
                    handled = self.partners.handled.get(str(referral["referral_id"]))
                    if handled is None or handled.decision != "hold":
                        return False
        return True

    async def settle(self) -> None:
        self.say("settling  waiting for partners' answers, grants to open and installments to be paid")
        waited = 0
        while not (self.finance.settled() and await self.referrals_settled()):
            waited += 1
            if waited % 5 == 0 and not self.finance.approved_cases <= set(self.finance.grants):
                await self.finance.top_up_waiting_grants(list(PROGRAMMES))
            if waited % 10 == 0:
                f = self.finance
                busy = self.partners.busy() if self.partners else 0
                self.say(
                    f"settling  grants open {len(f.grants)}/{len(f.approved_cases)}, installments paid"
                    f" {f.disbursed}, partners' answers in progress {busy}"
                )
            await asyncio.sleep(1.0)
        self.say(f"settled   after {time.monotonic() - self.started:.0f} s")

    async def drive(self) -> None:
        await self.start_partners()
        await self.fund(FIRST_TRANCHE, "tranche-1")
        stop = asyncio.Event()
        office = asyncio.create_task(self.finance_office(stop), name="demo-finance-office")
        try:
            await self.work_caseload()
            await self.settle()
        finally:
            stop.set()
            await asyncio.gather(office, return_exceptions=True)

    def monitoring(self) -> dict[str, Any]:
        visited = [r for r in self.records if r.visits]
        return {
            "visits": sum(r.visits for r in self.records),
            "cases_visited": len(visited),
            "re_migrated": sum(1 for r in visited if r.re_migrated),
        }

    async def summary(self, finished: bool, year: YearReport) -> dict[str, Any]:
        if self.partners is not None:
            await self.partners.stop(finish_work_s=0 if not finished else 5)
        case_ids = {r.case_id for r in self.records if r.case_id}
        waits = times_to_acceptance(await self.watch.events_since_start(), case_ids)
        summary = await collect(self.api, self.team, self.records, waits)
        summary["run"] = {
            "run_id": self.run_id,
            "seed": self.options.seed,
            "cases": self.options.cases,
            "seconds": round(time.monotonic() - self.started, 1),
            "finished": finished,
            "deadline_s": self.options.deadline_s,
            "funded": self.finance.funded,
            "payments_returned_and_repaid": self.finance.returned,
            "urls": {s: self.options.endpoints.url(s) for s in ("intake", "referral", "grants")},
        }
        summary["errors"] += self.finance.errors
        summary["monitoring"] = self.monitoring()
        if finished:
            summary["year_report"] = await year.finish(self.records, summary, self.say)
        return {"run": summary.pop("run"), **summary}


async def run_demo(options: Options, api: Api, say: Callable[[str], None]) -> int:
    watch = StatusWatch(options.bootstrap, f"{options.topic_prefix}referral.status.v1")
    await watch.mark_start()  # where the status topic ends now; also: Kafka answers
    run_id = secrets.token_hex(3)
    team = await hire(api, options.admin_token, run_id)
    say(
        f"staff     {len(team.caseworkers)} caseworkers, {len(team.supervisors)} supervisors,"
        f" {len(team.officers)} finance officers and an auditor (users demo-{run_id}.*)"
    )
    run = Run(options, api, team, run_id, watch, say)
    year = YearReport(api, options.report_programme, options.report_dir, run.today)
    await year.start(options.admin_token, run_id)
    say(f"manager   demo-{run_id}.manager reads {options.report_programme}'s reports")
    finished = True
    try:
        async with asyncio.timeout(options.deadline_s):
            await run.drive()
    except TimeoutError:
        finished = False
        say(
            f"deadline  the demo stopped after {options.deadline_s:.0f} s with {len(run.records)} of"
            f" {options.cases} cases worked; the summary shows where the system got to"
        )
    except (ApiError, KafkaError, OSError) as error:
        finished = False
        say(f"stopped   {type(error).__name__}: {error}; the summary shows where the system got to")
    async with asyncio.timeout(240):  # the summary's questions, and the report catching up
        summary = await run.summary(finished, year)
    options.summary_path.parent.mkdir(parents=True, exist_ok=True)
    options.summary_path.write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    say("")
    say(render(summary))
    say(f"\nsummary written to {options.summary_path}")
    healthy = summary["ledger"]["verify"]["ok"] and summary["ledger"]["debits_equal_credits"]
    return 0 if finished and healthy and not summary["errors"] else 1
