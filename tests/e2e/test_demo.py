"""`homeward demo` against the whole system running as processes: 30 cases from the first
admin token to the summary, and the summary adds up (it is read back from the system's APIs); the
back-dated year shows: monitoring visits, an installment paid on an outcome, and the reporting
service's twelve-month report with its workbook and charts.
Also: the demo says clearly what to do when the system is not running or the token is missing."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import REPO, System
from tests.e2e.reading import dead_letters
from tests.support import free_port

pytestmark = pytest.mark.integration

CASES = 30
SERVICES = ("intake", "referral", "grants", "reporting")
CONSUMED_TOPICS = (
    "intake.returnees.v1",
    "referral.responses.v1",
    "referral.status.v1",
    "grants.installments.v1",
)


async def run_demo(env: dict[str, str], *args: str, timeout: float = 120) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "homeward.demo",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        raise AssertionError(f"the demo did not end by itself:\n{out.decode()}\n{err.decode()}") from None
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def read_report_files(files: dict[str, Any]) -> tuple[list[str], str, dict[str, str]]:
    """(the workbook's sheet names, the chart page, each chart's SVG by file name)."""
    workbook = load_workbook(files["xlsx"], read_only=True)
    sheets = list(workbook.sheetnames)
    workbook.close()
    charts = {Path(c).name: Path(c).read_text() for c in files["charts"]}
    return sheets, Path(files["page"]).read_text(), charts


async def test_the_demo_drives_the_system_and_its_summary_adds_up(system: System, tmp_path: Path) -> None:
    admin = await asyncio.to_thread(system.add_user, f"admin.{system.token}", "admin")
    summary_file = tmp_path / "demo-summary.json"
    report_dir = tmp_path / "report"
    urls = [f"--{s}={system.url(s)}" for s in SERVICES]
    code, out, err = await run_demo(
        {**system.env, "HOMEWARD_DEMO_ADMIN_TOKEN": admin},
        *("--cases", str(CASES), "--seed", "241", "--deadline", "120", "--summary", str(summary_file)),
        *("--report-programme", "DE-STARTHILFEPLUS", "--report-dir", str(report_dir), *urls),
        timeout=400,
    )
    print(out)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    summary: dict[str, Any] = json.loads(summary_file.read_text())

    assert summary["run"]["finished"] is True
    assert summary["errors"] == []
    assert sum(summary["cases"]["by_status"].values()) == summary["cases"]["total"] == CASES
    assert "not registered (error)" not in summary["cases"]["by_status"]
    referrals = summary["referrals"]
    assert sum(referrals["by_status"].values()) == referrals["total"] > 0
    assert sum(line["total"] for line in referrals["by_category_and_partner"]) == referrals["total"]
    assert referrals["by_status"].get("accepted", 0) + referrals["by_status"].get("completed", 0) > 0
    # every approved plan became an open grant, and nothing due was left unpaid
    approved = summary["cases"]["by_status"].get("plan_approved", 0)
    grants = summary["grants"]
    assert grants["total"] == approved > 0
    for programme in grants["by_programme"].values():
        assert sum(programme["grants"].values()) == programme["grants"].get("open", 0)
        assert not {"due", "approved"} & set(programme["installments"])
        assert programme["installments"]["disbursed"]["count"] > 0
    ledger = summary["ledger"]
    assert ledger["verify"]["ok"] is True
    assert ledger["verify"]["verdict"].startswith("OK")
    assert ledger["debits_equal_credits"] is True
    assert ledger["every_programme_balances"] is True
    for currency, totals in ledger["entries"].items():
        assert totals["debit"] == totals["credit"] > 0, currency
    # the same disbursed amounts in the ledger as in the installments, per programme
    for balance in ledger["balances"]:
        installments = grants["by_programme"].get(balance["programme_id"], {}).get("installments", {})
        assert balance["disbursed"] == installments.get("disbursed", {}).get("amount", 0)
    # the printed summary carries the same tables
    for heading in (
        "case status",
        "median to accept",
        "installments",
        "funds received",
        "ledger verify   OK",
        "monitoring      ",
        "Twelve-month report: DE-STARTHILFEPLUS",
    ):
        assert heading in out
    # the back-dated year: visits at the schedule's months, and an installment that waited for an
    # outcome (a visit's finding or a partner's completion) was paid
    assert summary["monitoring"]["visits"] > 0
    outcomes = summary["grants"]["outcome_installments"]
    assert sum(statuses.get("disbursed", 0) for statuses in outcomes.values()) > 0, outcomes
    # the report counted the run (people, visits, money at least what the run added) and shows it
    year = summary["year_report"]
    assert year["caught_up"] is True
    tables = year["headline"]["tables"]
    people = tables["returns_by_sex"]["rows"]["total"][0]
    assert people is not None
    assert people >= year["run_added"]["people"] > 0
    disbursed = tables["money_by_assistance_type"]["rows"]["total"][2]
    assert disbursed is not None
    assert disbursed >= year["run_added"]["disbursed"] > 0
    assert "returns         female" in out
    # the workbook opens, and the chart page and its SVGs are beside it
    files = year["files"]
    sheets, page, charts = await asyncio.to_thread(read_report_files, files)
    assert len(sheets) > 1
    assert charts
    assert all(svg.lstrip().startswith("<?xml") and "<svg" in svg for svg in charts.values())
    assert all(f'src="{name}"' in page for name in charts)
    assert f"report files    {report_dir}" in out
    # and nothing the demo did was dead-lettered by any consumer
    assert await dead_letters(system) == {}


async def test_the_demo_says_what_to_do_when_the_system_is_not_running(
    system: System, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    code, _, err = await run_demo(
        {**system.env, "HOMEWARD_DEMO_ADMIN_TOKEN": "hw_whatever"},
        *(f"--intake={nowhere}", f"--referral={nowhere}", f"--grants={nowhere}"),
        *("--summary", str(tmp_path / "none.json")),
        timeout=30,
    )
    assert code == 2
    assert f"nothing answers at {nowhere} (intake)" in err
    assert "make run" in err


async def test_the_demo_asks_for_an_admin_token(system: System, tmp_path: Path) -> None:
    env = {k: v for k, v in system.env.items() if k != "HOMEWARD_DEMO_ADMIN_TOKEN"}
    urls = [f"--{s}={system.url(s)}" for s in SERVICES]
    code, _, err = await run_demo(env, *urls, timeout=30)
    assert code == 2
    assert "HOMEWARD_DEMO_ADMIN_TOKEN" in err

    code, _, err = await run_demo({**env, "HOMEWARD_DEMO_ADMIN_TOKEN": "hw_not-a-token"}, *urls, timeout=30)
    assert code == 2
    assert "refused the admin token (not valid)" in err


async def test_the_demo_ends_by_itself_at_its_deadline(system: System, tmp_path: Path) -> None:
    admin = await asyncio.to_thread(system.add_user, f"admin2.{system.token}", "admin")
    summary_file = tmp_path / "cut-short.json"
    urls = [f"--{s}={system.url(s)}" for s in SERVICES]
    code, out, err = await run_demo(
        {**system.env, "HOMEWARD_DEMO_ADMIN_TOKEN": admin},
        *("--cases", "400", "--deadline", "3", "--summary", str(summary_file), *urls),
        timeout=90,
    )

    assert code == 1, f"{out}\n{err}"
    assert "the demo stopped after 3 s" in out
    assert "STOPPED AT THE DEADLINE" in out
    summary = json.loads(summary_file.read_text())
    assert summary["run"]["finished"] is False
    assert 0 < sum(summary["cases"]["by_status"].values()) < 400
    assert summary["ledger"]["verify"]["ok"] is True  # cut short, still consistent
