"""The caseworker page in a real browser: Debian's Chromium driven by Playwright, against intake
served by uvicorn on the real broker and database. A caseworker signs in, registers a family
through the form (adding a member, correcting a mistake shown beside its field) and sees the case
with its timeline, which picks up a referral's status as it arrives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from playwright.async_api import Page, async_playwright, expect

from services.intake.app import create_app
from shared.events import new_envelope, parse_envelope
from shared.events.referral import ReferralStatusChanged
from shared.http.sessions import COOKIE
from shared.identity.model import Role
from shared.topics import Topics
from tests.browser.serving import serving
from tests.conftest import Isolated
from tests.support import TEST_PASSWORD, add_person, eventually, publish, read_topic

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/intake-case-page.png")  # noqa: S108 - a file for people to look at, not a secret


@dataclass
class Served:
    url: str
    name: str
    topics: Topics
    bootstrap: str


@pytest.fixture
async def served(isolated: Isolated) -> AsyncIterator[Served]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        await add_person(app.state.identity, "m.trajkovska", Role.CASEWORKER, office="tetovo")
        yield Served(
            url,
            "m.trajkovska",
            Topics(isolated.settings.topic_prefix),
            isolated.settings.kafka_bootstrap_servers,
        )


def years_ago(years: int) -> str:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - years).isoformat()


async def fill_member(page: Page, index: int, name: str, born: str, sex: str, relationship: str) -> None:
    await page.fill(f"#members-{index}-name", name)
    await page.fill(f"#members-{index}-date_of_birth", born)
    await page.select_option(f"#members-{index}-sex", sex)
    await page.select_option(f"#members-{index}-relationship", relationship)


def chromium() -> str:
    """Debian's Chromium; without it the test fails (a skipped browser test proves nothing)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the caseworker page test needs Debian's Chromium at {CHROMIUM}: apt-get install chromium"
        )
    return str(CHROMIUM)


async def test_a_caseworker_registers_a_family_and_sees_the_case_and_its_timeline(served: Served) -> None:
    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 1000})
            page = await context.new_page()

            # sign in with her name and password; a wrong password first
            await page.goto(served.url + "/")
            await page.get_by_label("Name").fill(served.name)
            await page.get_by_label("Password").fill("not my password at all")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_text("The name or the password is wrong.")).to_be_visible()
            await page.get_by_label("Password").fill(TEST_PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Cases")).to_be_visible()
            cookie = next(c for c in await context.cookies() if c["name"] == COOKIE)
            assert cookie["httpOnly"] is True
            assert cookie["sameSite"] == "Strict"
            assert not cookie["value"].startswith("hw_")  # a session id, not a token

            # the registration form: the principal, then one more member
            await page.get_by_role("link", name="Register a returnee").click()
            await page.get_by_label("Donor programme").select_option("DE-STARTHILFEPLUS")
            await page.get_by_label("Destination municipality").select_option("tetovo")
            await page.get_by_label("Sending country").fill("DE")
            await page.get_by_label("Arrival date").fill(
                (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
            )
            await fill_member(page, 0, "Fatmire Aliu", years_ago(38), "female", "principal")
            await page.select_option("#members-0-identity_document-type", "passport")
            await page.fill("#members-0-identity_document-number", "MK4455667")
            await page.get_by_role("button", name="Add a household member").click()
            await expect(page.locator("#members-1-name")).to_be_visible()
            await fill_member(page, 1, "Dion Aliu", "2999-03-01", "male", "child")  # a typo: the future
            await page.locator("#needs-housing").check()
            await page.locator("#needs-education").check()
            await page.locator("#vulnerabilities-single_parent").check()
            await page.locator("#consent-housing").check()
            await page.get_by_role("button", name="Register", exact=True).last.click()

            # the mistake is shown beside its field, and what was typed is kept
            error = page.locator("#members-1-date_of_birth-error")
            await expect(error).to_have_text("Error: A date of birth cannot be in the future")
            field = page.locator(".field", has=page.locator("#members-1-date_of_birth"))
            await expect(field.locator(".error-message")).to_have_count(1)
            await expect(page.locator("#members-1-date_of_birth")).to_have_attribute("aria-invalid", "true")
            await expect(page.locator("#members-0-name")).to_have_value("Fatmire Aliu")
            await page.fill("#members-1-date_of_birth", years_ago(7))
            await page.get_by_role("button", name="Register", exact=True).last.click()

            # the case page with its timeline
            await expect(page.get_by_role("heading", name="Fatmire Aliu")).to_be_visible()
            await expect(page.get_by_role("status")).to_contain_text("Case registered")
            timeline = page.locator("#timeline")
            await expect(timeline).to_contain_text(
                "Registered: a household of 2, programme DE-STARTHILFEPLUS"
            )
            await expect(page.locator("table").first).to_contain_text("Dion Aliu")
            await expect(page.locator(".details")).to_contain_text("you · office tetovo")  # her case now
            case_id = UUID((await page.locator(".case-id code").inner_text()).strip())

            # the registration produced its event, through the outbox, without personal data
            async def registered_event() -> list[bytes]:
                records = await read_topic(served.bootstrap, served.topics.returnees.name)
                return [r.value for r in records if r.key == str(case_id).encode()]

            published = await eventually(registered_event, what="ReturneeRegistered on the returnees topic")
            print("ReturneeRegistered from the page:\n" + json.dumps(json.loads(published[0]), indent=2))
            event = parse_envelope(published[0])
            assert [event.type] == [parse_envelope(p).type for p in published] == ["ReturneeRegistered"]
            assert [(m["age"], m["relationship"]) for m in event.data["household"]] == [
                (38, "principal"),
                (7, "child"),
            ]
            for personal in (b"Fatmire", b"Aliu", b"MK4455667", years_ago(38).encode()):
                assert personal not in published[0]

            # referral answers: the status shows on the timeline on the next load
            accepted = new_envelope(
                ReferralStatusChanged(
                    referral_id=uuid4(),
                    case_id=case_id,
                    partner_id="tetovo-housing",
                    category="housing",
                    status="accepted",
                    previous_status="issued",
                ),
                key=case_id,
                producer="referral",
            )
            await publish(served.bootstrap, served.topics.referral_status.name, [accepted.to_bytes()])

            async def referral_shown() -> bool:
                await page.goto(f"{served.url}/cases/{case_id}")
                return "tetovo-housing: accepted" in await timeline.inner_text()

            await eventually(referral_shown, timeout=20, interval=0.3, what="the referral status on the page")
            await page.screenshot(path=str(SCREENSHOT), full_page=True)

            # and the case list finds the family by name
            await page.get_by_role("link", name="Back to the cases").click()
            await page.get_by_role("searchbox", name="Search").fill("aliu")
            await page.get_by_role("button", name="Search").click()
            await expect(page.get_by_role("link", name="Fatmire Aliu")).to_be_visible()

            # signing out ends the session on the server: the old cookie opens nothing any more
            await page.get_by_role("button", name="Sign out").click()
            await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            # the old cookie, kept and replayed
            await context.add_cookies(
                [{"name": cookie["name"], "value": cookie["value"], "url": served.url, "httpOnly": True}]
            )
            await page.goto(f"{served.url}/cases/{case_id}")
            await expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        finally:
            await browser.close()
