"""The reception page on a phone: Debian's Chromium at 360 px wide, driven by Playwright, against
intake served by uvicorn on the real broker and database. Two returns are announced; the one due
today or tomorrow is listed with its meeting code and its reception and transport status (as
referral reports them), the one next week is not; the receptionist marks a child who did not travel
and confirms the arrival; the page fits the screen and carries no JavaScript."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from playwright.async_api import ViewportSize, async_playwright, expect

from services.intake.app import create_app
from shared.events import new_envelope
from shared.events.referral import ReferralStatusChanged
from shared.identity.model import Role
from shared.topics import Topics
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium, years_ago
from tests.conftest import Isolated
from tests.support import TEST_PASSWORD, add_person, eventually, publish

pytestmark = pytest.mark.integration

PHONE: ViewportSize = {"width": 360, "height": 740}


@dataclass
class Served:
    url: str
    name: str
    token: str
    topics: Topics
    bootstrap: str


@pytest.fixture
async def served(isolated: Isolated) -> AsyncIterator[Served]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        _, token = await add_person(app.state.identity, "a.reception", Role.CASEWORKER)
        yield Served(
            url,
            "a.reception",
            token,
            Topics(isolated.settings.topic_prefix),
            isolated.settings.kafka_bootstrap_servers,
        )


def announcement(principal: str, scheduled: datetime, number: str) -> dict[str, Any]:
    surname = principal.split()[-1]
    return {
        "members": [
            {"name": principal, "date_of_birth": years_ago(40), "sex": "male", "relationship": "principal"},
            {
                "name": f"Arben {surname}",
                "date_of_birth": years_ago(12),
                "sex": "male",
                "relationship": "child",
            },
            {
                "name": f"Lira {surname}",
                "date_of_birth": years_ago(8),
                "sex": "female",
                "relationship": "child",
            },
        ],
        "programme_id": "DE-STARTHILFEPLUS",
        "country_of_return": "MK",
        "municipality": "gostivar",
        "sending_country": "DE",
        "needs": ["airport_reception", "transport"],
        "consent": {"airport_reception": True, "transport": True},
        "mode": "flight",
        "carrier": "Eurowings",
        "number": number,
        "arrival_point": "SKP",
        "scheduled_at": scheduled.isoformat(timespec="seconds"),
        "special_assistance": ["wheelchair"],
    }


async def test_reception_confirms_an_arrival_on_a_phone(served: Served, tmp_path: Path) -> None:
    soon = datetime.now(UTC) + timedelta(hours=2)
    async with httpx.AsyncClient(
        base_url=served.url, headers={"Authorization": f"Bearer {served.token}"}
    ) as api:
        today = await api.post("/v1/arrivals", json=announcement("Besnik Gashi", soon, "EW 9342"))
        assert today.status_code == 201, today.text
        week = await api.post(
            "/v1/arrivals", json=announcement("Ilir Morina", soon + timedelta(days=6), "EW 9999")
        )
        assert week.status_code == 201, week.text
        case_id = UUID(today.json()["case_id"])
        code = today.json()["trip"]["meeting_code"]

        # referral reports the reception referral accepted (the transport one says nothing yet)
        accepted = new_envelope(
            ReferralStatusChanged(
                referral_id=uuid4(),
                case_id=case_id,
                partner_id="office-reception-team",
                category="airport_reception",
                status="accepted",
                previous_status="issued",
            ),
            key=case_id,
            producer="referral",
        )
        await publish(served.bootstrap, served.topics.referral_status.name, [accepted.to_bytes()])

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport=PHONE)
                page = await context.new_page()
                await page.goto(served.url + "/")
                await page.get_by_label("Name").fill(served.name)
                await page.get_by_label("Password").fill(TEST_PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await page.get_by_role("link", name="Expected arrivals").click()
                await expect(page.get_by_role("heading", name="Expected arrivals")).to_be_visible()

                card = page.locator(f"#arrival-{case_id}")

                async def reception_accepted() -> bool:
                    await page.goto(served.url + "/reception")
                    return (
                        await card.count() == 1
                        and await card.locator("dd.status").first.text_content() == "Accepted"
                    )

                await eventually(
                    reception_accepted, timeout=20, interval=0.3, what="reception accepted on the page"
                )
                await expect(card.get_by_role("heading")).to_contain_text("Eurowings EW 9342")
                await expect(card).to_contain_text(code)
                await expect(card).to_contain_text("Wheelchair")
                await expect(card.locator("dd.status").nth(1)).to_have_text("Not reported yet")
                await expect(page.locator(f"#arrival-{week.json()['case_id']}")).to_have_count(0)
                assert "<script" not in await page.content()  # works without JavaScript
                # it fits a phone: nothing wider than the screen
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"
                await page.screenshot(path=str(tmp_path / "reception-360px.png"), full_page=True)
                print(f"screenshot: {tmp_path / 'reception-360px.png'}")

                # Lira did not travel; the office's team met them
                await card.get_by_label("Lira Gashi").uncheck()
                await card.get_by_label("Met by").select_option("office_reception_team")
                await card.get_by_role("button", name="Arrived").click()
                await expect(page.get_by_role("status")).to_contain_text("Arrival confirmed")
                await expect(page.locator(f"#arrival-{case_id}")).to_have_count(0)
            finally:
                await browser.close()

        case = (await api.get(f"/v1/cases/{case_id}")).json()
        assert case["status"] == "registered"
        assert case["arrival"]["confirmation"]["not_travelled"] == [2]
        assert case["arrival"]["confirmation"]["met_by"] == "office_reception_team"
