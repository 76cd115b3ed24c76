"""The auditors' page in Chromium, in Albanian (issue 15, point 3): the ledger a page at a time,
the balances as they stood at the end of a chosen day, and the ledger check with its result; a
finance officer's forms are not theirs (403). No serious or critical axe violation."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import expect

from services.grants.use_cases.context import utc_today
from shared.http.i18n import gettext
from tests.browser.accessibility import blocking_violations
from tests.browser.grants_site import GrantsSite, grants_site

pytestmark = pytest.mark.integration
__all__ = ["grants_site"]


def sq(message: str, **variables: object) -> str:
    return gettext("sq", message, **variables)


async def test_an_auditor_reads_the_ledger_and_verifies_it_in_albanian(grants_site: GrantsSite) -> None:
    site = grants_site
    officer = await site.person("a.finance", "en")
    await officer.goto(f"{site.url}/finance")
    for n in range(3):  # 3 transactions of 2 entries each
        await officer.select_option("#funding-programme", "NL-AVRR")
        await officer.fill("#funding-amount", "1000")
        await officer.fill("#funding-reference", f"NL-{n}")
        await officer.get_by_role("button", name="Record funding").click()
        await expect(officer.locator(".notice")).to_have_text("Donor funding recorded.")

    auditor = await site.person("an.auditor", "sq")
    await auditor.goto(f"{site.url}/audit")
    await expect(auditor.locator("html")).to_have_attribute("lang", "sq")
    await expect(auditor.get_by_role("heading", level=1)).to_have_text(sq("Audit"))
    ledger = auditor.locator("section[aria-labelledby=ledger] tbody tr")
    await expect(ledger).to_have_count(6)
    nl = auditor.locator("section[aria-labelledby=balances] tbody tr", has_text="NL-AVRR")
    await expect(nl).to_contain_text(re.compile(r"3[.\s ]000,00"))
    violations = await blocking_violations(auditor)

    yesterday = utc_today() - timedelta(days=1)
    await auditor.fill("#as_of", yesterday.isoformat())
    await auditor.get_by_role("button", name=sq("Show balances")).click()
    day = format_date(yesterday, format="medium", locale="sq")
    await expect(auditor.locator("#balances")).to_have_text(sq("Balances at the end of %(day)s", day=day))
    await expect(nl).to_contain_text(sq("No funding received yet"))

    await auditor.get_by_role("button", name=sq("Verify the ledger")).click()
    await expect(auditor.get_by_role("heading", level=2)).to_have_text(sq("The ledger is intact"))
    await expect(auditor.locator(".notice")).to_contain_text("6")
    violations += await blocking_violations(auditor)
    assert violations == []

    cookies = {c["name"]: c["value"] for c in await auditor.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as browser_like:
        due = await site.app.state.grants.pool.fetchval("SELECT count(*) FROM installments")
        assert due == 0
        posted = await browser_like.post(
            "/finance/funding",
            data={"funding-programme": "NL-AVRR", "funding-amount": "5", "funding-reference": "X-1"},
            headers={"Origin": site.url},
        )
    assert posted.status_code == 403
    transactions = await site.app.state.grants.pool.fetchval("SELECT count(*) FROM ledger_transactions")
    assert transactions == 3


async def test_the_ledger_is_paged_fifty_entries_at_a_time(grants_site: GrantsSite) -> None:
    site = grants_site
    officer = await site.person("b.finance", "en")
    await officer.goto(f"{site.url}/finance")
    for n in range(26):  # 52 entries
        await officer.select_option("#funding-programme", "NL-AVRR")
        await officer.fill("#funding-amount", "10")
        await officer.fill("#funding-reference", f"NL-P{n}")
        await officer.get_by_role("button", name="Record funding").click()
        await expect(officer.locator(".notice")).to_be_visible()
    auditor = await site.person("an.auditor", "en")
    await auditor.goto(f"{site.url}/audit")
    rows = auditor.locator("section[aria-labelledby=ledger] tbody tr")
    await expect(rows).to_have_count(50)
    await auditor.get_by_role("link", name="Next entries").click()
    await expect(rows).to_have_count(2)
    await expect(rows.first.locator("td").first).to_have_text("51")
    await expect(auditor.get_by_role("link", name="Next entries")).to_have_count(0)
