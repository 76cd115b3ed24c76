"""A family's journey through the whole system, as its users see it: registered on the caseworker
page, referred to the right partners (on their Kafka topics, without personal data), answered by a
partner program, funded by a grant whose first installment two finance officers pay, and the
ledger verifies. Only HTTP, Kafka and the commands an operator runs; no service is imported."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.e2e.conftest import PASSWORD, REPO, System
from tests.e2e.reading import dead_letters, events_on, ledger_totals, partner_events, timeline_shows
from tests.support import eventually

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PARTNER_EXAMPLE = REPO / "examples" / "partner_consumer.py"
NEEDS = ("housing", "education", "employment")
PRINCIPAL, CHILD, DOCUMENT = "Fatmire Aliu", "Dion Aliu", "MK4455667"


def years_ago(years: int) -> str:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - years).isoformat()


def chromium() -> str:
    """Debian's Chromium; without it the test fails (a skipped end-to-end test proves nothing)."""
    if not CHROMIUM.exists():
        pytest.fail(f"the end-to-end test needs Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    return str(CHROMIUM)


async def fill_member(page: Page, index: int, name: str, born: str, sex: str, relationship: str) -> None:
    await page.fill(f"#members-{index}-name", name)
    await page.fill(f"#members-{index}-date_of_birth", born)
    await page.select_option(f"#members-{index}-sex", sex)
    await page.select_option(f"#members-{index}-relationship", relationship)


async def register_on_the_page(system: System, caseworker: str) -> str:
    """Sign in, fill the form (the principal and a child), submit; the new case's id."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(system.url("intake") + "/")
            await page.get_by_label("Name").fill(caseworker)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("link", name="Register a returnee").click()
            await page.get_by_label("Donor programme").select_option("DE-STARTHILFEPLUS")
            await page.get_by_label("Destination municipality").select_option("tetovo")
            await page.get_by_label("Sending country").fill("DE")
            arrived = datetime.now(UTC).date() - timedelta(days=2)
            await page.get_by_label("Arrival date").fill(arrived.isoformat())
            await fill_member(page, 0, PRINCIPAL, years_ago(38), "female", "principal")
            await page.select_option("#members-0-identity_document-type", "passport")
            await page.fill("#members-0-identity_document-number", DOCUMENT)
            await page.get_by_role("button", name="Add a household member").click()
            await fill_member(page, 1, CHILD, years_ago(7), "male", "child")
            for need in NEEDS:
                await page.locator(f"#needs-{need}").check()
                await page.locator(f"#consent-{need}").check()
            await page.locator("#vulnerabilities-single_parent").check()
            await page.get_by_role("button", name="Register", exact=True).last.click()
            await expect(page.get_by_role("heading", name=PRINCIPAL)).to_be_visible()
            return str(UUID((await page.locator(".case-id code").inner_text()).strip()))
        finally:
            await browser.close()


async def run_partner(system: System, partner_id: str, decide: str) -> str:
    """The example partner program, as a partner runs it; its output once it has answered."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(PARTNER_EXAMPLE),
        *("--bootstrap", system.kafka_bootstrap, "--topic-prefix", system.topic_prefix),
        *("--partner-id", partner_id, "--decide", decide, "--max-referrals", "1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError(f"{partner_id} did not answer:\n{output.decode()}") from None
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_a_family_from_the_page_to_a_disbursed_installment(system: System) -> None:
    # the staff, made with `homeward users add` as an operator does (a password and a token each)
    staff = {
        "caseworker": "caseworker",
        "supervisor": "supervisor",
        "officer-a": "finance",
        "officer-b": "finance",
    }
    names = {key: f"{key}.{system.token}" for key in staff}
    await asyncio.gather(
        *(asyncio.to_thread(system.add_user, names[key], role) for key, role in staff.items())
    )
    cw, sup, officer_a, officer_b = names.values()
    intake, referral, grants = (system.url(s) for s in ("intake", "referral", "grants"))

    async with httpx.AsyncClient(timeout=10) as http:
        # finance records the donor's funding first, so the grant will not wait for it
        funded = await http.post(
            f"{grants}/v1/programmes/DE-STARTHILFEPLUS/funding",
            json={"amount": {"amount": 5_000_000, "currency": "EUR"}, "reference": "BMI-2025-0042"},
            headers={**system.auth(officer_a), "Idempotency-Key": f"funding-{system.token}"},
        )
        assert funded.status_code == 201, funded.text

        # a caseworker registers the family on the page
        case_id = await register_on_the_page(system, cw)

        # referral issues one referral per consented need, each to a partner that covers Tetovo and
        # serves the category, on that partner's own topic, with no personal data
        async def issued() -> list[dict[str, Any]]:
            response = await http.get(
                f"{referral}/v1/referrals", params={"case_id": case_id}, headers=system.auth(cw)
            )
            found = response.json()["referrals"]
            return found if len(found) == len(NEEDS) else []

        referrals = await eventually(issued, timeout=20, interval=0.2, what="three referrals")
        assert sorted(r["category"] for r in referrals) == sorted(NEEDS)
        assert {r["status"] for r in referrals} == {"issued"}
        directory = {
            p["id"]: p
            for p in (await http.get(f"{referral}/v1/partners", headers=system.auth(cw))).json()["partners"]
        }

        async def on_partner_topics() -> list[tuple[str, dict[str, Any]]]:
            on_topics = await partner_events(system, sorted(directory), case_id)
            found = [
                (p, e) for p, events in on_topics.items() for e in events if e["type"] == "ReferralIssued"
            ]
            return found if len(found) >= len(NEEDS) else []

        issued_events = await eventually(on_partner_topics, timeout=20, interval=0.3, what="ReferralIssued")
        assert sorted(e["data"]["category"] for _, e in issued_events) == sorted(NEEDS)  # exactly one each
        for partner_id, event in issued_events:
            partner, category = directory[partner_id], event["data"]["category"]
            assert event["data"]["partner_id"] == partner_id
            assert "tetovo" in partner["municipalities"]
            assert category in {c["category"] for c in partner["categories"]}
            for personal in (b"Fatmire", b"Aliu", b"Dion", DOCUMENT.encode(), years_ago(38).encode()):
                assert personal not in event["_raw"], f"{personal!r} reached {partner_id}"
        partner_for = {e["data"]["category"]: p for p, e in issued_events}

        # two partners answer with the example program: housing accepts, employment completes
        accepted, completed = await asyncio.gather(
            run_partner(system, partner_for["housing"], "accept"),
            run_partner(system, partner_for["employment"], "complete"),
        )
        assert "ReferralAccepted" in accepted
        assert "ReferralCompleted" in completed
        await timeline_shows(http, system, cw, case_id, f"housing with {partner_for['housing']}: accepted")
        await timeline_shows(
            http, system, cw, case_id, f"employment with {partner_for['employment']}: completed"
        )

        # the caseworker proposes the plan, the supervisor approves it, grants opens the grant
        plan = {
            "assistance": [
                {"assistance_type": "cash", "requested": {"amount": 80_000, "currency": "EUR"}},
                {"assistance_type": "housing", "requested": {"amount": 60_000, "currency": "EUR"}},
            ]
        }
        proposed = await http.post(f"{intake}/v1/cases/{case_id}/plan", json=plan, headers=system.auth(cw))
        assert proposed.status_code == 200, proposed.text
        refused = await http.post(
            f"{intake}/v1/cases/{case_id}/plan/approve", json={}, headers=system.auth(cw)
        )
        assert refused.status_code == 403  # a caseworker may not approve
        plan_id = proposed.json()["plan"]["id"]
        approved = await http.post(
            f"{intake}/v1/cases/{case_id}/plan/approve", json={"plan_id": plan_id}, headers=system.auth(sup)
        )
        assert approved.status_code == 200, approved.text

        async def grant_opened() -> list[dict[str, Any]]:
            found = await http.get(
                f"{grants}/v1/grants", params={"case_id": case_id}, headers=system.auth(officer_a)
            )
            return [g for g in found.json() if g["status"] == "open"]

        [grant] = await eventually(grant_opened, timeout=20, interval=0.2, what="the grant to open")
        assert grant["plan_id"] == plan_id
        assert grant["total"] == {"amount": 140_000, "currency": "EUR"}
        details = (await http.get(f"{grants}/v1/grants/{grant['id']}", headers=system.auth(officer_a))).json()
        first = min(details["installments"], key=lambda i: i["sequence"])
        assert (first["status"], first["paid_to"], first["amount"]["amount"]) == ("due", "returnee", 40_000)

        # officer A approves; A may not also disburse; officer B does
        installment = f"{grants}/v1/installments/{first['id']}"
        assert (await http.post(f"{installment}/approve", headers=system.auth(officer_a))).status_code == 200
        payment = {"method": "bank_transfer", "payment_reference": f"TRX-{system.token}"}
        same = await http.post(f"{installment}/disburse", json=payment, headers=system.auth(officer_a))
        assert same.status_code == 403
        assert "four-eyes" in same.json()["detail"]
        paid = await http.post(f"{installment}/disburse", json=payment, headers=system.auth(officer_b))
        assert paid.status_code == 200, paid.text
        assert (paid.json()["status"], paid.json()["approved_by"], paid.json()["disbursed_by"]) == (
            "disbursed",
            officer_a,
            officer_b,
        )

        # InstallmentDisbursed on grants' topic and on the case timeline
        async def disbursed_event() -> list[dict[str, Any]]:
            events = await events_on(system, "grants.installments.v1", case_id)
            return [e for e in events if e["type"] == "InstallmentDisbursed"]

        [event] = await eventually(disbursed_event, timeout=20, interval=0.3, what="InstallmentDisbursed")
        assert event["data"]["installment_id"] == first["id"]
        assert event["data"]["amount"] == {"amount": 40_000, "currency": "EUR"}
        await timeline_shows(http, system, cw, case_id, "Installment disbursed: EUR 400.00 by bank_transfer")

        # the ledger verifies, and debits equal credits
        verdict = (await http.get(f"{grants}/v1/ledger/verify", headers=system.auth(officer_b))).json()
        assert verdict["ok"] is True, verdict
        assert verdict["verdict"].startswith("OK")
        totals = await ledger_totals(http, system, officer_b)
        assert totals == {"EUR": {"debit": totals["EUR"]["credit"], "credit": totals["EUR"]["credit"]}}
        balances = (await http.get(f"{grants}/v1/ledger/balances", headers=system.auth(officer_b))).json()
        [programme] = [b for b in balances["programmes"] if b["programme_id"] == "DE-STARTHILFEPLUS"]
        assert programme["budget"] == 5_000_000
        assert (programme["disbursed"], programme["committed"]) == (40_000, 100_000)
        assert programme["available"] + programme["committed"] + programme["disbursed"] == programme["budget"]
        assert await dead_letters(system) == {}  # every event of the journey was taken
