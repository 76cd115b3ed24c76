"""The README's screenshots (docs/screenshots): the case page and the finance page in Chromium, with
intake and grants served side by side on one broker and database, a family's case carried through
them as in life (registered, a plan proposed and approved, funding received, a grant opened, an
installment approved, a partner's answer on the timeline). `make screenshots` writes them into
docs/screenshots; `make test` writes them into a temporary folder and checks that they were taken.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from services.grants.app import create_app as create_grants
from services.intake.app import create_app as create_intake
from shared.events import new_envelope
from shared.events.referral import ReferralStatusChanged
from shared.identity.model import Role
from shared.topics import Topics
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.integration.intake.helpers import family
from tests.support import TEST_PASSWORD, add_person, eventually, publish

pytestmark = pytest.mark.integration
FOLDER = "HOMEWARD_SCREENSHOTS"  # where `make screenshots` wants them (docs/screenshots)
PNG = b"\x89PNG\r\n\x1a\n"
PLAN = {
    "assistance": [
        {"assistance_type": "cash", "requested": {"amount": 80_000, "currency": "EUR"}},
        {"assistance_type": "housing", "requested": {"amount": 150_000, "currency": "EUR"}},
    ],
    "note": "rent for six months, then the shop",
}


def the_aliu_family() -> dict[str, Any]:
    body = family(name="Fatmire Aliu")
    for member, name in zip(body["members"][1:], ("Dion Aliu", "Elena Aliu"), strict=True):
        member["name"] = name
    return body


async def signed_in(browser: Any, url: str, name: str) -> Page:
    page: Page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(f"{url}/?lang=en")
    await page.locator("#name").fill(name)
    await page.locator("#password").fill(TEST_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    return page


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(os.environ.get(FOLDER) or tmp_path)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


async def test_the_readme_screenshots(isolated: Isolated, folder: Path) -> None:
    intake_app = create_intake(isolated.settings)
    grants_app = create_grants(isolated.with_schema("grants"), due_check_interval_s=3600)
    async with serving(intake_app, "intake") as intake, serving(grants_app, "grants") as grants:
        identity = intake_app.state.identity
        tokens = {}
        for name, role in [
            ("m.trajkovska", Role.CASEWORKER),
            ("a.supervisor", Role.SUPERVISOR),
            ("e.finance", Role.FINANCE),
            ("b.finance", Role.FINANCE),
        ]:
            _, tokens[name] = await add_person(identity, name, role)

        def auth(name: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[name]}"}

        async with httpx.AsyncClient(base_url=intake) as api:
            created = await api.post("/v1/cases", json=the_aliu_family(), headers=auth("m.trajkovska"))
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            proposed = await api.post(f"/v1/cases/{case_id}/plan", json=PLAN, headers=auth("m.trajkovska"))
            assert proposed.status_code == 200, proposed.text
            approved = await api.post(
                f"/v1/cases/{case_id}/plan/approve", json={}, headers=auth("a.supervisor")
            )
            assert approved.status_code == 200, approved.text
        async with httpx.AsyncClient(base_url=grants) as api:
            for programme, amount in [("DE-STARTHILFEPLUS", 5_000_000), ("NL-AVRR", 2_500_000)]:
                funded = await api.post(
                    f"/v1/programmes/{programme}/funding",
                    json={
                        "amount": {"amount": amount, "currency": "EUR"},
                        "reference": f"{programme}-2026-Q4",
                    },
                    headers={**auth("e.finance"), "Idempotency-Key": uuid.uuid4().hex},
                )
                assert funded.status_code == 201, funded.text

            async def due() -> list[Any]:
                answer = await api.get(
                    "/v1/installments", params={"status": "due"}, headers=auth("e.finance")
                )
                found: list[Any] = answer.json()
                return found

            installments = await eventually(due, timeout=30, what="the grant's installments due")
            first = await api.post(
                f"/v1/installments/{installments[0]['id']}/approve", headers=auth("b.finance")
            )
            assert first.status_code == 200, first.text

        accepted = ReferralStatusChanged(
            referral_id=uuid4(),
            case_id=UUID(case_id),
            partner_id="skopje-housing",
            category="housing",
            status="accepted",
            previous_status="issued",
        )
        envelope = new_envelope(accepted, key=accepted.case_id, producer="referral")
        topics = Topics(isolated.settings.topic_prefix)
        await publish(
            isolated.settings.kafka_bootstrap_servers,
            topics.referral_status.name,
            [envelope.to_bytes()],
            key=envelope.key.encode(),
        )

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                caseworker = await signed_in(browser, intake, "m.trajkovska")
                timeline = caseworker.locator("#timeline")

                async def told() -> bool:
                    await caseworker.goto(f"{intake}/cases/{case_id}")
                    text = await timeline.inner_text()
                    return "skopje-housing: accepted" in text and "Installment approved" in text

                await eventually(
                    told, timeout=30, interval=0.5, what="referral's and grants' news on the case"
                )
                await caseworker.screenshot(path=str(folder / "case-page.png"), full_page=True)

                officer = await signed_in(browser, grants, "e.finance")
                await officer.goto(f"{grants}/finance")
                await expect(officer.locator("section[aria-labelledby=approved] tbody tr")).to_have_count(1)
                await officer.screenshot(path=str(folder / "finance-page.png"), full_page=True)
            finally:
                await browser.close()
    for name in ("case-page.png", "finance-page.png"):
        assert (folder / name).read_bytes().startswith(PNG), name
