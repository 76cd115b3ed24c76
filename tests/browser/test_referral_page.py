"""The caseworker's referral page in a real browser (Debian's Chromium, Playwright), in Macedonian,
against referral served by uvicorn on the real broker and database: a caseworker re-routes a case's
housing referral to the other eligible partner, then withdraws it with a reason; each partner reads
the withdrawal on its own topic. The page passes the accessibility audit (axe-core) before and
after, and the browser itself keeps a re-route without a chosen partner from being sent."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from playwright.async_api import async_playwright, expect

from services.referral.app import create_app
from shared.events import Category
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import new_isolation, release_isolation
from tests.integration.referral.conftest import TEST_PARTNERS
from tests.integration.referral.events import needs_assessed
from tests.support import TEST_PASSWORD, add_person, eventually, publish, read_topic

pytestmark = pytest.mark.integration

SCREENSHOT = Path("/tmp/referral-page.png")  # noqa: S108 - a file for people to look at


@dataclass
class Served:
    url: str
    topics: Topics
    bootstrap: str
    name: str


@pytest.fixture
async def served(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    (tmp_path / "partners.yaml").write_text(TEST_PARTNERS, encoding="utf-8")
    default_config: Path = Settings.model_fields["config_dir"].default
    for name in ("municipalities.yaml", "arrival-points.yaml"):
        shutil.copy(default_config / name, tmp_path / name)
    isolation = new_isolation(kafka_bootstrap, database_url, config_dir=tmp_path)
    app = create_app(isolation.settings, sweep_interval_s=3600)
    try:
        async with serving(app, "referral") as url:
            await add_person(app.state.identity, "a.krasniqi", Role.CASEWORKER)
            yield Served(
                url,
                Topics(isolation.settings.topic_prefix),
                isolation.settings.kafka_bootstrap_servers,
                "a.krasniqi",
            )
    finally:
        await release_isolation(isolation)


async def on_topic(served: Served, topic: str, case_id: UUID, event_type: str) -> list[dict[str, object]]:
    records = await read_topic(served.bootstrap, topic)
    found = [json.loads(r.value) for r in records if r.key == str(case_id).encode()]
    return [e["data"] for e in found if e["type"] == event_type]


async def test_a_caseworker_reroutes_then_withdraws_a_referral_on_the_page(served: Served) -> None:
    event = needs_assessed(municipality="skopje", needs=[Category.HOUSING])
    case_id = UUID(event.key)
    await publish(
        served.bootstrap,
        served.topics.returnees.name,
        [event.to_bytes()],
        key=event.key.encode(),
        headers=event.kafka_headers(),
    )
    page_url = f"{served.url}/cases/{case_id}/referrals"

    async def issued() -> list[dict[str, object]]:
        found = []
        for partner in ("skopje-homes-a", "skopje-homes-b"):
            found += await on_topic(served, served.topics.partner(partner).name, case_id, "ReferralIssued")
        return found

    [first] = await eventually(issued, timeout=30, what="the housing referral to be issued")
    holder = str(first["partner_id"])
    other = "skopje-homes-b" if holder == "skopje-homes-a" else "skopje-homes-a"

    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 1000})
            page = await context.new_page()
            # the page asks who you are first, in the language asked for
            await page.goto(page_url + "?lang=mk")
            await page.get_by_label("Име").fill(served.name)
            await page.get_by_label("Лозинка").fill(TEST_PASSWORD)
            await page.get_by_role("button", name="Најава").click()
            await page.goto(page_url + "?lang=mk")
            await expect(page.get_by_role("heading", name="Упати на случајот")).to_be_visible()
            assert await blocking_violations(page) == []

            # re-route without choosing a partner: not sent
            section = page.locator(f"#referral-{first['referral_id']}")
            await section.get_by_role("button", name="Пренасочи").click()
            reroute = section.get_by_label("Испрати до друг партнер")
            assert await reroute.evaluate("e => !e.checkValidity()")
            await reroute.select_option(other)
            await section.get_by_role("button", name="Пренасочи").click()
            await expect(page.get_by_role("status")).to_contain_text("Упатот е испратен до избраниот партнер")  # noqa: RUF001 (Macedonian)

            withdrawn = await eventually(
                lambda: on_topic(served, served.topics.partner(holder).name, case_id, "ReferralWithdrawn"),
                timeout=30,
                what="the previous partner to be told",
            )
            assert withdrawn[0]["reason"] == "rerouted"
            [new] = await eventually(
                lambda: on_topic(served, served.topics.partner(other).name, case_id, "ReferralIssued"),
                timeout=30,
                what="the chosen partner to get the referral",
            )

            # withdraw the new one with a reason
            current = page.locator(f"#referral-{new['referral_id']}")
            await expect(current).to_contain_text("Skopje Homes")
            await current.get_by_label("Причина за повлекување").select_option("returnee_declined")
            await current.get_by_role("button", name="Повлечи").click()
            await expect(page.get_by_role("status")).to_contain_text("Упатот е повлечен")  # noqa: RUF001 (Macedonian)
            assert await blocking_violations(page) == []
            await page.screenshot(path=str(SCREENSHOT), full_page=True)

            told = await eventually(
                lambda: on_topic(served, served.topics.partner(other).name, case_id, "ReferralWithdrawn"),
                timeout=30,
                what="the chosen partner to be told of the withdrawal",
            )
            assert told[0]["reason"] == "returnee_declined"
            # nothing left to move: no form but the page itself
            await expect(page.get_by_role("button", name="Повлечи")).to_have_count(0)
        finally:
            await browser.close()
