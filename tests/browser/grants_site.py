"""The grants service served for Chromium, with its finance officers and auditors, and what the
grants pages' tests share: signing in (each person in their own browser context, as two officers at
two desks are) and a plan approval delivered as intake would deliver it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from services.grants.app import create_app
from services.grants.use_cases.context import utc_today
from shared.events import new_envelope
from shared.events.codes import AssistanceType
from shared.identity.model import Role
from shared.topics import Topics
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.support import TEST_PASSWORD, add_person, eventually, publish
from tests.unit.grants.builders import plan

SIGN_IN = {"en": "Sign in", "mk": "Најава", "sq": "Hyr"}
PEOPLE = {
    "a.finance": (Role.FINANCE, None),
    "b.finance": (Role.FINANCE, None),
    "nl.finance": (Role.FINANCE, ["NL-AVRR"]),
    "an.auditor": (Role.AUDITOR, None),
    "a.caseworker": (Role.CASEWORKER, None),
}


@dataclass
class GrantsSite:
    url: str
    app: Any
    bootstrap: str
    topics: Topics
    browser: Browser

    async def person(self, name: str, lang: str) -> Page:
        """A new browser (its own cookies) with `name` signed in, in `lang`."""
        context: BrowserContext = await self.browser.new_context(viewport={"width": 1280, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{self.url}/?lang={lang}")
        await page.locator("#name").fill(name)
        await page.locator("#password").fill(TEST_PASSWORD)
        await page.get_by_role("button", name=SIGN_IN[lang]).click()
        await expect(page.get_by_role("button", name=SIGN_IN[lang])).to_have_count(0)
        await page.goto(f"{self.url}/?lang={lang}")  # remembered on the user from here on
        return page

    async def approved_plan(self, programme: str = "DE-STARTHILFEPLUS", amount: int = 120_000) -> UUID:
        """A plan approval on intake's topic, delivered as intake would; the grant's id, once made."""
        approved = plan(programme, [40], {AssistanceType.CASH: amount}, arrival=utc_today())
        envelope = new_envelope(approved, key=approved.case_id, producer="intake")
        topic = self.topics.returnees.name
        await publish(self.bootstrap, topic, [envelope.to_bytes()], key=envelope.key.encode())
        pool = self.app.state.grants.pool

        async def made() -> Any:
            return await pool.fetchval("SELECT id FROM grants WHERE case_id = $1", approved.case_id)

        return await eventually(made, timeout=30, what=f"a grant for case {approved.case_id}")


@pytest.fixture
async def grants_site(isolated: Isolated) -> AsyncIterator[GrantsSite]:
    app = create_app(isolated.settings, due_check_interval_s=3600)
    async with serving(app, "grants") as url:
        for name, (role, programmes) in PEOPLE.items():
            await add_person(app.state.identity, name, role, programmes)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                yield GrantsSite(
                    url,
                    app,
                    isolated.settings.kafka_bootstrap_servers,
                    Topics(isolated.settings.topic_prefix),
                    browser,
                )
            finally:
                await browser.close()
