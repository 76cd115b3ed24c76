"""The twelve-month report at the end of the demo, read from the reporting service as a programme
manager reads it: the JSON report's headline figures, the XLSX workbook (`/v1/reports/{p}/xlsx`)
and the chart page with its server-drawn SVGs (signed in on the pages, as a manager does), saved
under one directory. The reporting service builds its read model from the topics, so the demo
first waits (with a deadline) until the report counts what the demo did."""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from homeward.demo.client import Api

CAUGHT_UP_S = 120.0  # how long the reporting service gets to count what the demo did


@dataclass(frozen=True)
class Manager:
    name: str
    password: str
    token: str


@dataclass(frozen=True)
class Figures:
    """What the demo checks the report against, each as the report counts it: cases visited for a
    scheduled visit that fell due in the period, people who arrived in it, money disbursed in it
    (minor units)."""

    visits_done: int | None
    people: int | None
    disbursed: int | None


def period(today: date) -> dict[str, str]:
    return {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}


async def hire_manager(api: Api, admin_token: str, run_id: str, programme_id: str) -> Manager:
    """A programme manager of the one programme: a password for the pages, a token for the API."""
    name = f"demo-{run_id}.manager"
    password = f"demo manager {secrets.token_urlsafe(12)}"
    added = await api.call(
        "POST",
        "intake",
        "/v1/users",
        admin_token,
        json={
            "name": name,
            "role": "manager",
            "programmes": [programme_id],
            "password": password,
            "token": True,
            "expires_in_days": 7,
        },
    )
    return Manager(name, password, added["token"])


def _table(report: dict[str, Any], table_id: str) -> dict[str, Any]:
    return next(t for t in report["tables"] if t["id"] == table_id)


def _total(report: dict[str, Any], table_id: str, column: str) -> Any:
    table = _table(report, table_id)
    return table["total"]["values"][table["columns"].index(column)]


def figures(report: dict[str, Any]) -> Figures:
    return Figures(
        _total(report, "monitoring_coverage", "done"),
        _total(report, "returns_by_sex", "count"),
        _total(report, "money_by_assistance_type", "disbursed"),
    )


def caught_up(now: Figures, before: Figures, did: Figures) -> bool:
    """Whether the report counts at least what it counted before the run plus what the run did;
    a total suppressed before the run counts as none. A total suppressed now (too few people in
    its group to show) cannot be compared: the others decide."""
    for field in ("visits_done", "people", "disbursed"):
        current, start, added = getattr(now, field), getattr(before, field) or 0, getattr(did, field) or 0
        if current is not None and current < start + added:
            return False
    return now.people is not None or did.people == 0  # the run's returns, at least, are counted


async def report_of(api: Api, token: str, programme_id: str, today: date) -> dict[str, Any] | None:
    """The programme's report, or None when the read model has no event of it yet (404)."""
    found: dict[str, Any] | None = await api.call(
        "GET", "reporting", f"/v1/reports/{programme_id}", token, params=period(today), accept=(200, 404)
    )
    return found if found is not None and "tables" in found else None


async def wait_caught_up(
    api: Api, manager: Manager, programme_id: str, today: date, before: Figures, did: Figures
) -> tuple[dict[str, Any], float]:
    """The report once it counts what the demo did (polled each second); TimeoutError after
    CAUGHT_UP_S. Also how long that took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(CAUGHT_UP_S):
        while True:
            report = await report_of(api, manager.token, programme_id, today)
            if report is not None and caught_up(figures(report), before, did):
                return report, loop.time() - started
            await asyncio.sleep(1.0)


CHART_SRC = re.compile(r'src="/reports/[A-Z0-9-]+/charts/([a-z_]+)\.svg\?[^"]*"')


async def save_files(
    api: Api, manager: Manager, programme_id: str, today: date, directory: Path
) -> dict[str, Any]:
    """The workbook, and the chart page (signed in as the manager) with its SVGs and stylesheet
    beside it, its links made relative so it opens from the directory. Returns what was written."""
    base = api.endpoints.url("reporting")
    query = period(today)
    auth = {"Authorization": f"Bearer {manager.token}"}
    files: dict[str, bytes] = {}
    workbook = await api.http.get(f"{base}/v1/reports/{programme_id}/xlsx", params=query, headers=auth)
    workbook.raise_for_status()
    xlsx = f"{programme_id}_{query['from']}_{query['to']}.xlsx"
    files[xlsx] = workbook.content
    # a client of its own: the session cookie stays with the pages and goes to no other service
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as pages:
        signed = await pages.post("/signin", data={"name": manager.name, "password": manager.password})
        if signed.status_code != 303:
            raise RuntimeError(f"signing in on the reporting pages answered {signed.status_code}")
        page = await pages.get(f"/reports/{programme_id}", params=query)
        page.raise_for_status()
        charts = list(dict.fromkeys(CHART_SRC.findall(page.text)))
        for name in charts:
            svg = await pages.get(f"/reports/{programme_id}/charts/{name}.svg", params=query)
            svg.raise_for_status()
            files[f"{name}.svg"] = svg.content
        css = await pages.get("/static/reporting.css")
        css.raise_for_status()
        files["reporting.css"] = css.content
    html = CHART_SRC.sub(lambda m: f'src="{m.group(1)}.svg"', page.text)
    files["index.html"] = html.replace('href="/static/reporting.css"', 'href="reporting.css"').encode()
    await asyncio.to_thread(_write, directory, files)
    return {
        "directory": str(directory),
        "xlsx": str(directory / xlsx),
        "page": str(directory / "index.html"),
        "charts": [str(directory / f"{name}.svg") for name in charts],
    }


def _write(directory: Path, files: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The figures a donor reads first, as the report gives them (None: a suppressed cell)."""

    def rows(table_id: str) -> dict[str, Any]:
        table = _table(report, table_id)
        every = [*table["rows"], table["total"]]
        return {
            "columns": table["columns"],
            "currency": table["currency"],
            "rows": {r["key"]: r["values"] for r in every},
            "suppressed": table["suppressed"],
        }

    return {
        "programme_id": report["programme_id"],
        "from": report["period_from"],
        "to": report["period_to"],
        "threshold": report["threshold"],
        "tables": {
            t: rows(t)
            for t in (
                "returns_by_sex",
                "assistance_by_category",
                "money_by_assistance_type",
                "monitoring_coverage",
                "survey_scores",
            )
        },
    }


class YearReport:
    """The report's part of a run: a manager and the report's figures before the run (`start`);
    at the end, the report once it counts the run, its headline and its files (`finish`)."""

    def __init__(self, api: Api, programme_id: str, directory: Path, today: date) -> None:
        self.api = api
        self.programme_id = programme_id
        self.directory = directory
        self.today = today
        self.manager: Manager | None = None
        self.before = Figures(None, None, None)

    async def start(self, admin_token: str, run_id: str) -> None:
        self.manager = await hire_manager(self.api, admin_token, run_id, self.programme_id)
        report = await report_of(self.api, self.manager.token, self.programme_id, self.today)
        if report is not None:
            self.before = figures(report)

    def did(self, records: list[Any], summary: dict[str, Any]) -> Figures:
        """What this run added to the programme's report: its cases visited (every visit the demo
        records falls due within the year), the people of its cases that arrived in the period (an
        announced case arrives today), the money it disbursed."""
        ours = [r for r in records if r.case_id and r.planned.programme.id == self.programme_id]
        first = date.fromisoformat(period(self.today)["from"])
        arrived = [
            r
            for r in ours
            if r.planned.announced or date.fromisoformat(r.planned.registration["arrival_date"]) >= first
        ]
        money = summary["grants"]["by_programme"].get(self.programme_id, {}).get("installments", {})
        return Figures(
            sum(1 for r in ours if r.visits),
            sum(len(r.planned.registration["members"]) for r in arrived),
            money.get("disbursed", {}).get("amount", 0),
        )

    async def finish(self, records: list[Any], summary: dict[str, Any], say: Any) -> dict[str, Any]:
        if self.manager is None:
            raise RuntimeError("the report's manager was not hired")
        did = self.did(records, summary)
        say(f"reporting waiting for the reporting service to count this run (at most {CAUGHT_UP_S:.0f} s)")
        try:
            report, waited = await wait_caught_up(
                self.api, self.manager, self.programme_id, self.today, self.before, did
            )
        except TimeoutError:
            summary["errors"].append(
                f"the reporting service did not count this run's {self.programme_id} cases within"
                f" {CAUGHT_UP_S:.0f} s"
            )
            return {"caught_up": False, "before": vars(self.before), "run_added": vars(did)}
        files = await save_files(self.api, self.manager, self.programme_id, self.today, self.directory)
        return {
            "caught_up": True,
            "caught_up_after_s": round(waited, 1),
            "before": vars(self.before),
            "run_added": vars(did),
            "headline": headline(report),
            "files": files,
        }
