"""A household edit on the case page in Chromium, in Albanian (issue 15, point 2): a caseworker
removes a member who left and adds a newborn, is shown a mistake beside its field first, then
records a phone number; each page state passes axe-core with no serious or critical violation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from tests.integration.intake.helpers import family, unique_name
from tests.support import add_person

pytestmark = pytest.mark.integration


@dataclass
class Site:
    url: str
    caseworker_token: str


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        _, token = await add_person(app.state.identity, "a.caseworker", Role.CASEWORKER)
        yield Site(url, token)


@pytest.fixture
async def browser_context(site: Site) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield await browser.new_context(viewport={"width": 1280, "height": 1000})
        finally:
            await browser.close()


async def test_a_caseworker_edits_the_household_in_albanian(
    site: Site, browser_context: BrowserContext
) -> None:
    async with httpx.AsyncClient(base_url=site.url) as client:
        registered = await client.post(
            "/v1/cases", json=family(), headers={"Authorization": f"Bearer {site.caseworker_token}"}
        )
    assert registered.status_code == 201, registered.text
    case = registered.json()
    left, newborn = case["members"][2]["name"], unique_name("Arta")
    page = await browser_context.new_page()
    await sign_in(page, site, "a.caseworker", "sq")
    await page.goto(f"{site.url}/cases/{case['id']}?lang=sq")
    form = page.locator("#household")
    await expect(form.get_by_role("heading", name="Ndrysho familjen")).to_be_visible()
    violations = [f"case page: {v}" for v in await blocking_violations(page)]

    # Elena has left; a newborn joins, first with a birth date in the future (a typo)
    await form.get_by_label("Hiq anëtarin 3 nga familja").check()
    await page.locator("#members-3-name").fill(newborn)
    await page.locator("#members-3-date_of_birth").fill("2999-01-01")
    await page.locator("#members-3-sex").select_option("female")
    await page.locator("#members-3-relationship").select_option("child")
    await form.get_by_role("button", name="Ruaj familjen").click()
    await expect(page.locator("#members-3-date_of_birth-error")).to_be_visible()
    await expect(page.locator("#members-3-name")).to_have_value(newborn)  # what was typed stays
    await expect(page.get_by_label("Hiq anëtarin 3 nga familja")).to_be_checked()
    violations += [f"household errors: {v}" for v in await blocking_violations(page)]

    born = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
    await page.locator("#members-3-date_of_birth").fill(born)
    await page.locator("#household").get_by_role("button", name="Ruaj familjen").click()
    await expect(page).to_have_url(f"{site.url}/cases/{case['id']}?done=household#household")
    household = page.locator("#household-title").locator("xpath=..")
    await expect(household.get_by_text(newborn)).to_be_visible()
    await expect(household.get_by_text(left)).to_have_count(0)

    # a phone number: recorded, shown to the caseworker, sent nowhere
    contact = page.locator("#contact")
    await contact.get_by_label("Telefoni").fill("+389 70 555 123")
    await contact.get_by_role("button", name="Ruaj të dhënat e kontaktit").click()
    await expect(page.get_by_role("heading", name="Të dhënat e kontaktit", exact=True)).to_be_visible()
    await expect(page.get_by_text("+389 70 555 123", exact=True)).to_be_visible()
    violations += [f"after the changes: {v}" for v in await blocking_violations(page)]
    timeline = page.locator("#timeline")
    await expect(timeline.get_by_text("Household changed: 3 members (1 added, 1 removed)")).to_be_visible()
    assert violations == []
