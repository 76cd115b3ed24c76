"""The admins' pages in Chromium, in Albanian (issue 15, point 3): an admin adds a person (a
mistake shown beside its field first), the person signs in, the admin sees their session and ends
it, changes their role and programmes, and may not change their own; a caseworker gets the 403
page. No serious or critical axe violation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from services.intake.app import create_app
from shared.http.i18n import gettext
from shared.identity.model import Role
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.support import TEST_PASSWORD, add_person

pytestmark = pytest.mark.integration
SIGN_IN = {"en": "Sign in", "mk": "Најава", "sq": "Hyr"}
NEW_PASSWORD = "quiet-harbour-lantern-2026"


def sq(message: str) -> str:
    return gettext("sq", message)


@dataclass
class Site:
    url: str
    app: Any
    browser: Browser

    async def person(self, name: str, lang: str, password: str = TEST_PASSWORD) -> Page:
        page = await (await self.browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
        await page.goto(f"{self.url}/?lang={lang}")
        await page.locator("#name").fill(name)
        await page.locator("#password").fill(password)
        await page.get_by_role("button", name=SIGN_IN[lang]).click()
        await expect(page.get_by_role("button", name=SIGN_IN[lang])).to_have_count(0)
        await page.goto(f"{self.url}/?lang={lang}")
        return page


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        await add_person(app.state.identity, "an.admin", Role.ADMIN)
        await add_person(app.state.identity, "a.caseworker", Role.CASEWORKER)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                yield Site(url, app, browser)
            finally:
                await browser.close()


async def test_an_admin_adds_a_person_and_ends_their_session_in_albanian(site: Site) -> None:
    admin = await site.person("an.admin", "sq")
    await expect(admin).to_have_url(f"{site.url}/admin/users")
    await expect(admin.get_by_role("heading", level=1)).to_have_text(sq("People and sessions"))
    violations = await blocking_violations(admin)

    await admin.fill("#new-name", "b.finance")
    await admin.select_option("#new-role", "finance")
    await admin.check("#new-programmes-NL-AVRR")
    await admin.fill("#new-password", "short")
    await admin.get_by_role("button", name=sq("Add the person")).click()
    await expect(admin.locator("#new-password-error")).to_be_visible()
    await expect(admin.locator("#new-name")).to_have_value("b.finance")
    await expect(admin.locator("#new-programmes-NL-AVRR")).to_be_checked()
    violations += await blocking_violations(admin)
    await admin.fill("#new-password", NEW_PASSWORD)
    await admin.get_by_role("button", name=sq("Add the person")).click()
    await expect(admin.locator(".notice")).to_have_text(sq("Person added."))
    await expect(admin.get_by_role("heading", level=1)).to_have_text("b.finance")
    person_url = admin.url.split("?")[0]

    officer = await site.person("b.finance", "en", password=NEW_PASSWORD)
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Cases")
    await admin.goto(person_url)
    sessions = admin.locator("section[aria-labelledby=sessions] tbody tr")
    await expect(sessions).to_have_count(1)
    violations += await blocking_violations(admin)
    await sessions.get_by_role("button").click()
    await expect(admin.locator(".notice")).to_have_text(sq("Session ended."))
    await expect(sessions).to_have_count(0)
    await officer.reload()
    await expect(officer.get_by_role("button", name="Sign in")).to_be_visible()

    await admin.select_option("#role", "auditor")
    await admin.check("#programmes-DE-STARTHILFEPLUS")
    await admin.get_by_role("button", name=sq("Change role and programmes")).click()
    await expect(admin.locator(".notice")).to_have_text(sq("Role and programmes changed."))
    changed, _ = await site.app.state.identity.user_by_name("b.finance")
    assert changed.role is Role.AUDITOR
    assert changed.programmes == frozenset({"NL-AVRR", "DE-STARTHILFEPLUS"})

    yourself, _ = await site.app.state.identity.user_by_name("an.admin")
    await admin.goto(f"{site.url}/admin/users/{yourself.id}")
    await expect(admin.locator("section[aria-labelledby=grant-title] form")).to_have_count(0)
    violations += await blocking_violations(admin)
    assert violations == []


async def test_the_admin_pages_are_for_admins_only(site: Site) -> None:
    caseworker = await site.person("a.caseworker", "en")
    answer = await caseworker.goto(f"{site.url}/admin/users")
    assert answer is not None
    assert answer.status == 403
    await expect(caseworker.get_by_role("heading", level=1)).to_have_text("Not allowed")
    assert await blocking_violations(caseworker) == []
    cookies = {c["name"]: c["value"] for c in await caseworker.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as browser_like:
        posted = await browser_like.post(
            "/admin/users",
            data={"new-name": "x.y", "new-role": "admin", "new-password": NEW_PASSWORD},
            headers={"Origin": site.url},
        )
    assert posted.status_code == 403
    assert await site.app.state.identity.user_by_name("x.y") is None
