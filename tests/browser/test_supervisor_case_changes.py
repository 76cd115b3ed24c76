# ruff: noqa: RUF001 - Macedonian text, Cyrillic on purpose
"""A supervisor on the case page in Chromium, in Macedonian (issue 15, point 2): approves a plan
amendment a caseworker proposed (the approve button the supervisor queue links to, `#amendment`),
then reopens a closed case with a reason; the amendment and reopening parts pass axe-core with no
serious or critical violation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, async_playwright, expect

from services.intake.app import create_app
from shared.identity.model import Role
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_accessibility import sign_in
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.integration.intake.helpers import family
from tests.support import add_person

pytestmark = pytest.mark.integration

AMENDED_MK = "1.400,00\xa0€"  # EUR 1400.00 as a Macedonian page writes it (Babel, CLDR)
PLAN = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}}]}


@dataclass
class Site:
    url: str
    tokens: dict[str, str]


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        tokens = {}
        for name, role in (("caseworker", Role.CASEWORKER), ("approver", Role.SUPERVISOR)):
            _, tokens[name] = await add_person(app.state.identity, name, role)
        await add_person(app.state.identity, "s.petrovska", Role.SUPERVISOR)
        yield Site(url, tokens)


@pytest.fixture
async def browser_context(site: Site) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield await browser.new_context(viewport={"width": 1280, "height": 1000})
        finally:
            await browser.close()


async def api(site: Site, who: str, path: str, body: Any = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=site.url) as client:
        answer = await client.post(path, json=body, headers={"Authorization": f"Bearer {site.tokens[who]}"})
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_a_supervisor_approves_an_amendment_and_reopens_a_case_in_macedonian(
    site: Site, browser_context: BrowserContext
) -> None:
    amended_case = (await api(site, "caseworker", "/v1/cases", family()))["id"]
    await api(site, "caseworker", f"/v1/cases/{amended_case}/plan", PLAN)
    await api(site, "approver", f"/v1/cases/{amended_case}/plan/approve")
    amendment = {
        "assistance": [{"assistance_type": "cash", "requested": {"amount": 140_000, "currency": "EUR"}}]
    }
    await api(site, "caseworker", f"/v1/cases/{amended_case}/plan/amendment", amendment)
    closed_case = (await api(site, "caseworker", "/v1/cases", family()))["id"]
    await api(site, "caseworker", f"/v1/cases/{closed_case}/close", {"reason": "unreachable"})

    page = await browser_context.new_page()
    await sign_in(page, site, "s.petrovska", "mk")
    # the supervisor's queue lists the amendment and leads to it
    await page.goto(f"{site.url}/supervisor?lang=mk")
    waiting = page.locator("section[aria-labelledby=amendments]")
    violations = [f"queue: {v}" for v in await blocking_violations(page)]
    await waiting.locator(f'a[href="/cases/{amended_case}#amendment"]').click()
    await expect(page).to_have_url(f"{site.url}/cases/{amended_case}#amendment")
    part = page.locator("#amendment")
    await expect(part.get_by_role("heading", name="Измена на одобрениот план")).to_be_visible()
    await expect(part.get_by_role("cell", name=AMENDED_MK)).to_be_visible()
    violations += [f"amendment: {v}" for v in await blocking_violations(page)]
    await part.get_by_role("button", name="Одобри ја измената").click()
    await expect(page).to_have_url(
        f"{site.url}/cases/{amended_case}?done=approve-amendment#approve-amendment"
    )
    plan = page.locator("#plan")
    await expect(plan.get_by_role("cell", name=AMENDED_MK)).to_be_visible()
    await expect(
        page.locator("#timeline").get_by_text("Plan amendment approved: cash EUR 1400.00")
    ).to_be_visible()

    await page.goto(f"{site.url}/cases/{closed_case}?lang=mk")
    reopen = page.locator("#reopen")
    await reopen.get_by_role("button", name="Отвори го случајот повторно").click()
    await expect(page.locator("#reopen-reason-error")).to_be_visible()  # no reason chosen
    violations += [f"reopen errors: {v}" for v in await blocking_violations(page)]
    await page.locator("#reopen-reason").select_option("returnee_recontacted")
    await page.locator("#reopen-note").fill("се јави во канцеларијата")
    await page.locator("#reopen").get_by_role("button", name="Отвори го случајот повторно").click()
    await expect(page).to_have_url(f"{site.url}/cases/{closed_case}?done=reopen#reopen")
    await expect(page.get_by_role("heading", name="Повторно отворен")).to_be_visible()
    await expect(page.get_by_text("се јави во канцеларијата")).to_be_visible()
    violations += [f"reopened: {v}" for v in await blocking_violations(page)]
    assert violations == []
