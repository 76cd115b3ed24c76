"""The finance page in Chromium (issue 15, point 3): in Macedonian, one officer records donor funding
and approves an installment, is refused its disbursement (four eyes), and a second officer disburses
it; the ledger still verifies. Scopes fail closed: another role gets the 403 page, an officer of one
programme sees only that programme. No serious or critical axe violation on any of it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from services.grants.core.rules import PaymentFailure
from services.grants.use_cases import payments
from shared.http.i18n import gettext
from tests.browser.accessibility import blocking_violations
from tests.browser.grants_site import GrantsSite, grants_site

pytestmark = pytest.mark.integration
__all__ = ["grants_site"]


def mk(message: str) -> str:
    return gettext("mk", message)


def row(page: Page, section: str, grant_id: object) -> Locator:
    return page.locator(f"section[aria-labelledby={section}] tbody tr", has_text=str(grant_id)[-8:])


async def test_two_officers_approve_and_disburse_in_macedonian(grants_site: GrantsSite) -> None:
    site = grants_site
    first = await site.person("a.finance", "mk")
    await first.goto(f"{site.url}/finance")
    await expect(first.locator("html")).to_have_attribute("lang", "mk")
    await expect(first.get_by_role("heading", level=1)).to_have_text(mk("Finance"))

    await first.select_option("#funding-programme", "DE-STARTHILFEPLUS")
    await first.fill("#funding-amount", "25000,00x")
    await first.fill("#funding-reference", "DE TRANSFER")
    await first.get_by_role("button", name=mk("Record funding")).click()
    await expect(first.locator("#funding-amount-error")).to_contain_text(
        mk("Enter an amount, like 1500 or 1500.50")
    )
    await expect(first.locator("#funding-reference-error")).to_be_visible()
    await first.fill("#funding-amount", "25000")
    await first.fill("#funding-reference", "DE-TRANSFER-1")
    await first.get_by_role("button", name=mk("Record funding")).click()
    await expect(first.locator(".notice")).to_have_text(mk("Donor funding recorded."))
    budget = first.locator("section[aria-labelledby=programmes] tr", has_text="DE-STARTHILFEPLUS")
    await expect(budget).to_contain_text(re.compile(r"25[.\s ]000,00"))

    grant_id = await site.approved_plan()
    await first.goto(f"{site.url}/finance")
    due = row(first, "due", grant_id)
    await expect(due).to_have_count(1)
    case_id = await site.app.state.grants.pool.fetchval("SELECT case_id FROM grants WHERE id = $1", grant_id)
    intake = site.app.state.settings.page_urls["intake"]
    await expect(due.get_by_role("link")).to_have_attribute("href", f"{intake}/cases/{case_id}")
    violations = await blocking_violations(first)
    await due.get_by_role("button", name=mk("Approve")).click()
    await expect(first.locator(".notice")).to_have_text(mk("Installment approved."))

    approved = row(first, "approved", grant_id)
    await expect(approved).to_contain_text(mk("You approved it: another officer disburses it."))
    await approved.get_by_label(mk("Method")).select_option("bank_transfer")
    await approved.get_by_label(mk("Payment reference")).fill("SEPA-77")
    await approved.get_by_role("button", name=mk("Disburse")).click()
    await expect(first.locator(".error-summary")).to_contain_text(
        mk("You approved this installment: another finance officer must disburse it.")
    )
    violations += await blocking_violations(first)

    second = await site.person("b.finance", "mk")
    await second.goto(f"{site.url}/finance")
    approved = row(second, "approved", grant_id)
    await approved.get_by_label(mk("Method")).select_option("bank_transfer")
    await approved.get_by_label(mk("Payment reference")).fill("SEPA-77")
    await approved.get_by_role("button", name=mk("Disburse")).click()
    await expect(second.locator(".notice")).to_have_text(mk("Installment disbursed."))
    await expect(row(second, "approved", grant_id)).to_have_count(0)

    pool = site.app.state.grants.pool
    paid = await pool.fetchrow(
        "SELECT id, status, approved_by, disbursed_by, payment_reference FROM installments"
        " WHERE grant_id = $1 AND status = 'disbursed'",
        grant_id,
    )
    paid_id = paid["id"]
    assert {k: v for k, v in dict(paid).items() if k != "id"} == {
        "status": "disbursed",
        "approved_by": "a.finance",
        "disbursed_by": "b.finance",
        "payment_reference": "SEPA-77",
    }

    # the bank sends the payment back; the first officer approves it again from the failed list
    a_finance, _ = await site.app.state.identity.user_by_name("a.finance")
    await payments.record_failure(site.app.state.grants, paid_id, PaymentFailure.RETURNED_BY_BANK, a_finance)
    await first.goto(f"{site.url}/finance")
    failed = row(first, "failed", grant_id)
    await expect(failed).to_contain_text("Returned by bank")
    await failed.get_by_role("button", name=mk("Approve again")).click()
    await expect(first.locator(".notice")).to_have_text(mk("Installment approved."))
    await expect(row(first, "failed", grant_id)).to_have_count(0)
    await expect(row(first, "approved", grant_id)).to_have_count(1)

    async with second.expect_download() as download_info:
        await second.get_by_role("link", name=mk("Download the ledger (CSV)")).click()
    download = await download_info.value
    assert download.suggested_filename == "ledger.csv"
    exported = (await asyncio.to_thread(Path(await download.path()).read_text)).splitlines()
    assert exported[0].startswith("seq,")
    assert len(exported) == 1 + await pool.fetchval("SELECT count(*) FROM ledger_entries")

    await second.get_by_role("button", name=mk("Verify the ledger")).click()
    await expect(second.get_by_role("heading", level=2)).to_have_text(mk("The ledger is intact"))
    violations += await blocking_violations(second)
    assert violations == []


async def test_scopes_fail_closed_on_the_finance_page(grants_site: GrantsSite) -> None:
    site = grants_site
    caseworker = await site.person("a.caseworker", "en")
    answer = await caseworker.goto(f"{site.url}/finance")
    assert answer is not None
    assert answer.status == 403
    await expect(caseworker.get_by_role("heading", level=1)).to_have_text("Not allowed")
    assert await blocking_violations(caseworker) == []

    auditor = await site.person("an.auditor", "en")
    cookies = {c["name"]: c["value"] for c in await auditor.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as browser_like:
        posted = await browser_like.post(
            "/finance/funding",
            data={"funding-programme": "DE-STARTHILFEPLUS", "funding-amount": "1", "funding-reference": "X"},
            headers={"Origin": site.url},
        )
    assert posted.status_code == 403
    assert await site.app.state.grants.pool.fetchval("SELECT count(*) FROM ledger_transactions") == 0

    scoped = await site.person("nl.finance", "en")
    await scoped.goto(f"{site.url}/finance")
    programmes = scoped.locator("section[aria-labelledby=programmes] tbody th")
    await expect(programmes).to_have_count(1)
    await expect(programmes).to_contain_text("NL-AVRR")
    await expect(scoped.locator("#funding-programme option[value=DE-STARTHILFEPLUS]")).to_have_count(0)
    await expect(scoped.get_by_role("button", name="Verify the ledger")).to_have_count(0)
    answer = await scoped.goto(f"{site.url}/ledger/verify")
    assert answer is not None
    assert answer.status == 403
