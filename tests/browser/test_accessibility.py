"""Every intake page in Chromium passes axe-core with no serious or critical violation, in each of
the three languages at least once (issue 15, point 6): the sign-in page and the case list in all
three, the other pages (an erased case's and the error page too) in one language each, turn about."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from services.intake.app import create_app
from services.intake.use_cases.privacy import erase_case
from shared.events.codes import ErasureReason
from shared.identity.model import Role, User
from shared.privacy import Actor
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.integration.intake.helpers import family
from tests.support import TEST_PASSWORD, add_person

pytestmark = pytest.mark.integration

LANGUAGES = ("en", "mk", "sq")
SIGN_IN = {"en": "Sign in", "mk": "Најава", "sq": "Hyr"}


class Served(Protocol):
    """Any app a test serves for Chromium: where it is."""

    url: str


@dataclass
class Site:
    url: str
    caseworker_token: str
    app: FastAPI
    dpo: User


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        _, token = await add_person(app.state.identity, "a.caseworker", Role.CASEWORKER)
        dpo, _ = await add_person(app.state.identity, "a.dpo", Role.DPO)
        yield Site(url, token, app, dpo)


@pytest.fixture
async def browser_context(site: Site) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            yield await browser.new_context(viewport={"width": 1280, "height": 1000})
        finally:
            await browser.close()


async def sign_in(page: Page, site: Served, name: str, lang: str) -> None:
    await page.goto(f"{site.url}/?lang={lang}")
    await page.locator("#name").fill(name)
    await page.locator("#password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name=SIGN_IN[lang]).click()
    await expect(page.get_by_role("button", name=SIGN_IN[lang])).to_have_count(0)


async def audited(page: Page, url: str) -> list[str]:
    answer = await page.goto(url)
    assert answer is not None, url
    assert answer.status == 200, url
    return [f"{url}: {violation}" for violation in await blocking_violations(page)]


async def test_the_sign_in_page_and_the_case_list_in_each_language(
    site: Site, browser_context: BrowserContext
) -> None:
    page = await browser_context.new_page()
    violations: list[str] = []
    for lang in LANGUAGES:
        violations += await audited(page, f"{site.url}/?lang={lang}")
        await expect(page.locator("html")).to_have_attribute("lang", lang)
    await sign_in(page, site, "a.caseworker", "en")
    for lang in LANGUAGES:
        violations += await audited(page, f"{site.url}/?lang={lang}")
        await expect(page.locator("html")).to_have_attribute("lang", lang)
    assert violations == []


async def test_every_other_intake_page(site: Site, browser_context: BrowserContext) -> None:
    async with httpx.AsyncClient(base_url=site.url) as api:
        created = await api.post(
            "/v1/cases", json=family(), headers={"Authorization": f"Bearer {site.caseworker_token}"}
        )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    page = await browser_context.new_page()
    await sign_in(page, site, "a.caseworker", "mk")
    violations: list[str] = []
    for path, lang in [
        ("/cases/new", "mk"),
        ("/reception", "sq"),
        ("/monitoring", "en"),
        (f"/cases/{case_id}", "sq"),
        (f"/cases/{case_id}/duplicates", "mk"),
    ]:
        violations += await audited(page, f"{site.url}{path}?lang={lang}")
    # an erased case's page, in Macedonian
    async with httpx.AsyncClient(base_url=site.url) as api:
        other = await api.post(
            "/v1/cases", json=family(), headers={"Authorization": f"Bearer {site.caseworker_token}"}
        )
    erased_id = UUID(other.json()["id"])
    await erase_case(site.app.state.intake, erased_id, ErasureReason.SUBJECT_REQUEST, Actor.of(site.dpo))
    violations += await audited(page, f"{site.url}/cases/{erased_id}?lang=mk")
    await expect(page.get_by_role("heading", name="Што останува")).to_be_visible()

    # the error page (a case that does not exist), in Albanian
    missing = await page.goto(f"{site.url}/cases/01900000-0000-7000-8000-000000000000?lang=sq")
    assert missing is not None
    assert missing.status == 404
    await expect(page.get_by_role("heading", name="Nuk ka rast të tillë")).to_be_visible()
    violations += [f"error page: {v}" for v in await blocking_violations(page)]
    await page.goto(f"{site.url}/?lang=en")
    await page.get_by_role("button", name="Sign out").click()

    await sign_in(page, site, "a.dpo", "sq")
    violations += await audited(page, f"{site.url}/access-log?lang=sq")
    assert violations == []
