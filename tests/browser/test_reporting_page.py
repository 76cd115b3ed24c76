"""The programme manager's report page in a real browser (Debian's Chromium, Playwright), against
reporting served by uvicorn on the real broker and database, its read model built from events on
the topics: the page and its server-drawn SVG charts load with no console error, no failed request
and no script, and the workbook downloads. The report and the list of programmes pass the
accessibility audit in two languages each.

The audit runs in a browser context with JavaScript on: axe-core is JavaScript evaluated in the
page, and in the main path's context (JavaScript off, to prove the page needs none) Playwright's
evaluation never returns — which is why an earlier attempt at this audit hung until the test
timed out. The pages have no script either way (asserted below)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from babel.dates import format_date
from playwright.async_api import Browser, async_playwright, expect

from services.reporting.app import create_app
from services.reporting.http.charts import CHARTS
from shared.events import new_envelope
from shared.events.codes import AssistanceType, Milestone, Relationship, Sex
from shared.events.grants import GrantOpened, ScheduledInstallment
from shared.events.intake import HouseholdMember, ReturneeRegistered
from shared.identity.model import Role
from shared.money import Money
from shared.topics import Topics
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.support import TEST_PASSWORD, add_person, eventually, publish

pytestmark = pytest.mark.integration

PROGRAMME = "DE-STARTHILFEPLUS"
SCREENSHOT = Path("/tmp/reporting-page.png")  # noqa: S108 - a file for people to look at


async def caseload(isolated: Isolated, cases: int) -> None:
    """`cases` returns (men and women, some with a child) and a grant each, on the topics."""
    topics = Topics(isolated.settings.topic_prefix)
    today = datetime.now(UTC).date()
    returns, grants = [], []
    for n in range(cases):
        case_id = uuid4()
        household = [
            HouseholdMember(
                age=25 + n, sex=Sex.FEMALE if n % 2 else Sex.MALE, relationship=Relationship.PRINCIPAL
            )
        ]
        if n % 3 == 0:
            household.append(HouseholdMember(age=4 + n % 10, sex=Sex.MALE, relationship=Relationship.CHILD))
        registered = ReturneeRegistered(
            case_id=case_id,
            programme_id=PROGRAMME,
            municipality="skopje",
            household=household,
            country_of_return="MK",
            sending_country="DE",
            arrival_date=today - timedelta(days=n),
            registered_by="caseworker-1",
        )
        returns.append(new_envelope(registered, key=case_id, producer="intake").to_bytes())
        amount = Money(amount=50_000 + 1_000 * n, currency="EUR")
        opened = GrantOpened(
            grant_id=uuid4(),
            case_id=case_id,
            programme_id=PROGRAMME,
            total=amount,
            installments=[
                ScheduledInstallment(
                    installment_id=uuid4(),
                    sequence=1,
                    amount=amount,
                    milestone=Milestone.ON_APPROVAL,
                    assistance_type=AssistanceType.MICRO_BUSINESS if n % 2 else AssistanceType.HOUSING,
                )
            ],
        )
        grants.append(new_envelope(opened, key=case_id, producer="grants").to_bytes())
    bootstrap = isolated.settings.kafka_bootstrap_servers
    await publish(bootstrap, topics.returnees.name, returns)
    await publish(bootstrap, topics.grants_installments.name, grants)


@pytest.fixture
async def served(isolated: Isolated) -> AsyncIterator[str]:
    app = create_app(isolated.settings)
    async with serving(app, "reporting") as url:
        await add_person(app.state.identity, "d.petrovska", Role.MANAGER, (PROGRAMME,))
        await caseload(isolated, 24)

        async def built() -> bool:
            async with app.state.reporting.pool.acquire() as connection:
                return bool(await connection.fetchval("SELECT count(*) = 24 FROM grants"))

        await eventually(built, timeout=60, what="the read model to hold the caseload")
        yield url


async def test_a_manager_reads_the_report_page_with_its_charts_and_no_console_error(served: str) -> None:
    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                viewport={"width": 1280, "height": 1000}, java_script_enabled=False
            )
            page = await context.new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on(
                "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None
            )
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))

            await page.goto(served + "/reports")
            await page.get_by_label("Name").fill("d.petrovska")
            await page.get_by_label("Password").fill(TEST_PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("link", name=PROGRAMME).click()
            await page.wait_for_load_state("networkidle")

            today = datetime.now(UTC).date()
            assert await page.get_by_role("heading", level=1).inner_text() == (
                f"{PROGRAMME}: {format_date(today - timedelta(days=365), locale='en')}"
                f" to {format_date(today, locale='en')}"
            )
            images = page.locator("figure img")
            assert await images.count() == len(CHARTS)
            for i in range(await images.count()):
                loaded = await images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
                assert loaded, await images.nth(i).get_attribute("src")
            money = page.locator("table", has_text="Money by assistance type")
            assert "micro-business" in (await money.inner_text()).lower()
            assert await page.locator("script").count() == 0
            assert all(url.startswith(served) for url in requested), requested  # nothing from elsewhere
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            assert problems == [], "\n".join(problems)

            async with page.expect_download() as download:
                await page.get_by_role("link", name="workbook (XLSX)").click()
            assert (await download.value).suggested_filename.endswith(".xlsx")

            assert await audit(browser, served, await context.cookies()) == []
        finally:
            await browser.close()


async def audit(browser: Browser, served: str, cookies: Any) -> list[str]:
    """The accessibility audit (issue 15, point 6) of the report and the list of programmes, each
    in two languages, and the sign-in page; in a context with JavaScript on, for axe-core itself."""
    signed_out = await (await browser.new_context()).new_page()
    await signed_out.goto(served + "/reports?lang=mk")
    await expect(signed_out.get_by_role("button", name="Најава")).to_be_visible()
    violations = [f"sign-in (mk): {v}" for v in await blocking_violations(signed_out)]

    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    await context.add_cookies(cookies)  # the manager's session, signed in above
    page = await context.new_page()
    for path, lang, heading in [
        (f"/reports/{PROGRAMME}", "en", PROGRAMME),
        (f"/reports/{PROGRAMME}", "sq", PROGRAMME),
        ("/reports", "sq", "Raportet e programeve"),
        ("/reports", "mk", "Извештаи за програмите"),
    ]:
        await page.goto(f"{served}{path}?lang={lang}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        await expect(page.locator("html")).to_have_attribute("lang", lang)
        violations += [f"{path} ({lang}): {v}" for v in await blocking_violations(page)]
    return violations
