"""The partner portal in Debian's Chromium (issue 15, point 4): a partner's staff member signs in,
finds the referral sent to their partner, and answers it — accepts then completes it in Macedonian
(Cyrillic), declines one in Albanian, a missing reason first — against referral served by uvicorn on
the real broker and database. Each page passes the accessibility audit (no serious or critical
axe-core violation) and carries no JavaScript; each answer reaches referral.status.v1 as a Kafka
partner's would."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright, expect

from services.referral.app import create_app
from shared.events import Category
from shared.http.i18n import gettext
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import new_isolation, release_isolation
from tests.integration.referral.conftest import TEST_PARTNERS
from tests.integration.referral.events import needs_assessed
from tests.support import TEST_PASSWORD, add_person, eventually, publish

pytestmark = pytest.mark.integration

SCREENSHOT = Path("/tmp/partner-portal-referral.png")  # noqa: S108 - a file for people to look at
OUTCOME = "Семејството е сместено во стан"  # noqa: RUF001 - Macedonian, in Cyrillic


@dataclass
class Portal:
    app: FastAPI
    url: str
    topics: Topics
    bootstrap: str


@pytest.fixture(scope="module")
async def portal(
    kafka_bootstrap: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Portal]:
    config = tmp_path_factory.mktemp("portal-config")
    (config / "partners.yaml").write_text(TEST_PARTNERS, encoding="utf-8")
    default_config: Path = Settings.model_fields["config_dir"].default
    for name in ("municipalities.yaml", "arrival-points.yaml"):
        shutil.copy(default_config / name, config / name)
    isolation = new_isolation(kafka_bootstrap, database_url, config_dir=config)
    try:
        app = create_app(isolation.settings, sweep_interval_s=3600)
        async with serving(app, "referral") as url:
            yield Portal(app, url, Topics(isolation.settings.topic_prefix), kafka_bootstrap)
    finally:
        await release_isolation(isolation)


async def referral_for(portal: Portal, municipality: str) -> tuple[UUID, str]:
    """A housing need assessed in `municipality`: the referral issued for it, and to whom."""
    event = needs_assessed(municipality=municipality, needs=[Category.HOUSING])
    await publish(portal.bootstrap, portal.topics.returnees.name, [event.to_bytes()], key=event.key.encode())

    async def issued() -> tuple[UUID, str] | None:
        row = await portal.app.state.pool.fetchrow(
            "SELECT referral_id, partner_id FROM referrals WHERE case_id = $1 AND status = 'issued'",
            UUID(event.key),
        )
        return (row["referral_id"], row["partner_id"]) if row else None

    found = await eventually(issued, what="the referral issued")
    assert found is not None
    return found


async def status_of(portal: Portal, referral_id: UUID) -> str:
    return str(
        await portal.app.state.pool.fetchval(
            "SELECT status FROM referrals WHERE referral_id = $1", referral_id
        )
    )


async def audited(page: Page) -> None:
    assert await blocking_violations(page) == []
    assert "<script" not in await page.content()  # works without JavaScript


async def sign_in(page: Page, portal: Portal, lang: str, name: str) -> None:
    await page.goto(f"{portal.url}/portal?lang={lang}")
    await audited(page)
    await page.get_by_label(gettext(lang, "Name")).fill(name)
    await page.get_by_label(gettext(lang, "Password")).fill(TEST_PASSWORD)
    await page.get_by_role("button", name=gettext(lang, "Sign in")).click()
    await expect(page.get_by_role("heading", name=gettext(lang, "Open referrals"))).to_be_visible()


async def test_a_partner_accepts_and_completes_a_referral_in_macedonian(portal: Portal) -> None:
    lang = "mk"
    referral_id, partner_id = await referral_for(portal, "kumanovo")
    name = f"mk-staff-{uuid4().hex[:6]}"
    await add_person(portal.app.state.identity, name, Role.PARTNER, partner_id=partner_id)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(locale="mk-MK")).new_page()
            await sign_in(page, portal, lang, name)
            await expect(page.locator("html")).to_have_attribute("lang", "mk")
            await audited(page)
            await page.get_by_role("link", name=str(referral_id)[-8:]).click()
            await expect(
                page.get_by_role("heading", name=gettext(lang, "What was sent to you"))
            ).to_be_visible()
            await expect(page.get_by_text(gettext(lang, "Awaiting your answer"))).to_be_visible()
            await audited(page)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)

            await page.get_by_role("button", name=gettext(lang, "Accept")).click()
            await expect(page.get_by_role("status")).to_contain_text(
                gettext(lang, "Accepted. The caseworker is told.")
            )
            complete = page.get_by_role("button", name=gettext(lang, "Mark as completed"))

            async def completion_offered() -> bool:
                await page.reload()
                return await complete.count() == 1

            await eventually(completion_offered, interval=0.3, what="the acceptance applied")
            assert await status_of(portal, referral_id) == "accepted"
            await audited(page)
            await page.get_by_label(gettext(lang, "Outcome")).fill(OUTCOME)
            await complete.click()
            await expect(page.get_by_role("status")).to_contain_text(
                gettext(lang, "Completed. The caseworker is told.")
            )

            async def completed() -> bool:
                return await status_of(portal, referral_id) == "completed"

            await eventually(completed, what="the completion applied")
            reason = await portal.app.state.pool.fetchval(
                "SELECT reason FROM referrals WHERE referral_id = $1", referral_id
            )
            assert reason == OUTCOME
        finally:
            await browser.close()


async def test_a_partner_declines_a_referral_in_albanian_with_a_reason(portal: Portal) -> None:
    lang = "sq"
    referral_id, partner_id = await referral_for(portal, "skopje")
    name = f"sq-staff-{uuid4().hex[:6]}"
    await add_person(portal.app.state.identity, name, Role.PARTNER, partner_id=partner_id)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(locale="sq-AL")).new_page()
            await sign_in(page, portal, lang, name)
            await page.get_by_role("link", name=str(referral_id)[-8:]).click()
            decline = page.get_by_role("button", name=gettext(lang, "Decline"))
            await decline.click()  # no reason: refused beside the field
            await expect(page.locator("#reason-error")).to_contain_text(
                gettext(lang, "Write a few words: the caseworker reads them.")
            )
            await audited(page)
            assert await status_of(portal, referral_id) == "issued"
            await page.get_by_label(gettext(lang, "Why you decline")).fill(
                "Nuk kemi dhoma të lira për familje"
            )
            await decline.click()
            await expect(page.get_by_role("status")).to_contain_text(
                gettext(lang, "Declined. The referral goes to another partner.")
            )
            await audited(page)

            async def declined() -> bool:
                return await status_of(portal, referral_id) == "declined"

            await eventually(declined, what="the decline applied")
            # re-routed to the other Skopje partner, never back to this one
            other = await portal.app.state.pool.fetchval(
                "SELECT partner_id FROM referrals WHERE previous_referral_id = $1", referral_id
            )
            assert other in {"skopje-homes-a", "skopje-homes-b"} - {partner_id}
            # and the portal no longer lists it
            await page.goto(f"{portal.url}/portal")
            await expect(page.get_by_role("link", name=str(referral_id)[-8:])).to_have_count(0)
        finally:
            await browser.close()
