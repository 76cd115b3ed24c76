"""`homeward demo` against the whole system running as processes: 20 cases from the first
admin token to the summary, and the summary adds up (it is read back from the system's APIs).
Also: the demo says clearly what to do when the system is not running or the token is missing."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, System, free_port
from tests.e2e.reading import dead_letters

pytestmark = pytest.mark.integration

CASES = 20
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


async def test_the_demo_drives_the_system_and_its_summary_adds_up(system: System, tmp_path: Path) -> None:
    admin = await asyncio.to_thread(system.add_user, f"admin.{system.token}", "admin")
    summary_file = tmp_path / "demo-summary.json"
    urls = [f"--{s}={system.url(s)}" for s in ("intake", "referral", "grants")]
    code, out, err = await run_demo(
        {**system.env, "HOMEWARD_DEMO_ADMIN_TOKEN": admin},
        *("--cases", str(CASES), "--seed", "11", "--deadline", "90", "--summary", str(summary_file), *urls),
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
    ):
        assert heading in out
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
    urls = [f"--{s}={system.url(s)}" for s in ("intake", "referral", "grants")]
    code, _, err = await run_demo(env, *urls, timeout=30)
    assert code == 2
    assert "HOMEWARD_DEMO_ADMIN_TOKEN" in err

    code, _, err = await run_demo({**env, "HOMEWARD_DEMO_ADMIN_TOKEN": "hw_not-a-token"}, *urls, timeout=30)
    assert code == 2
    assert "refused the admin token (not valid)" in err


async def test_the_demo_ends_by_itself_at_its_deadline(system: System, tmp_path: Path) -> None:
    admin = await asyncio.to_thread(system.add_user, f"admin2.{system.token}", "admin")
    summary_file = tmp_path / "cut-short.json"
    urls = [f"--{s}={system.url(s)}" for s in ("intake", "referral", "grants")]
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
