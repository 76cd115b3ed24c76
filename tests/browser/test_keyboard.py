# ruff: noqa: RUF001 - Macedonian is written in Cyrillic: its letters that look Latin are letters here
"""Intake's forms with the keyboard alone (issue 15, point 6), in Chromium: signing in and opening a
case, and registering a family, with Tab and Shift+Tab to move, typing, Space to tick and Enter to
press — never a click. Every element the keyboard reaches shows where the focus is (the stylesheet's
:focus-visible outline), which the test measures on each one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from services.intake.app import create_app
from shared.identity.model import Role
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.integration.intake.helpers import family, unique_name
from tests.support import TEST_PASSWORD, add_person

pytestmark = pytest.mark.integration

MOST_TABS = 200  # more than any of intake's pages has stops


@dataclass
class Site:
    url: str
    token: str


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        _, token = await add_person(app.state.identity, "k.keyboard", Role.CASEWORKER)
        yield Site(url, token)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            # en-US: a date field's parts are typed month, day, year
            context = await browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
            yield await context.new_page()
        finally:
            await browser.close()


FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return "nothing has the focus (past the last stop)";
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const rect = element.getBoundingClientRect();
  const onScreen = rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.bottom > 0;
  if (!outline) return `no focus outline on ${element.outerHTML.slice(0, 120)}`;
  if (!onScreen) return `focused but off screen: ${element.outerHTML.slice(0, 120)}`;
  return "";
}"""


async def focused_matches(page: Page, selector: str) -> bool:
    return bool(await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector))


async def tab_to(page: Page, selector: str, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `selector` has the focus, checking at every stop that the
    focus is visible; fails if the keyboard cannot reach it."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MOST_TABS):
        if await focused_matches(page, selector):
            return
        await page.keyboard.press(key)
        problem = await page.evaluate(FOCUS_SHOWN)
        assert problem == "", f"tabbing to {selector}: {problem}"
    pytest.fail(f"{selector} cannot be reached with {key}")


async def choose(page: Page, selector: str, value: str) -> None:
    """Pick `value` in a <select> with the arrow keys, as a keyboard user does."""
    await tab_to(page, selector)
    for key in ("ArrowDown", "ArrowUp"):
        for _ in range(60):
            if await page.eval_on_selector(selector, "e => e.value") == value:
                return
            before = await page.eval_on_selector(selector, "e => e.value")
            await page.keyboard.press(key)
            if await page.eval_on_selector(selector, "e => e.value") == before:
                break  # the end of the list: go the other way
    pytest.fail(f"{value} cannot be chosen in {selector} with the arrow keys")


async def enter_to_go(page: Page) -> None:
    """Enter on a link or a form's button: wait for the page it opens."""
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def type_date(page: Page, selector: str, day: datetime) -> None:
    await tab_to(page, selector)
    await page.keyboard.type(day.strftime("%m%d%Y"))
    await expect(page.locator(selector)).to_have_value(day.strftime("%Y-%m-%d"))


async def sign_in(page: Page, site: Site, lang: str) -> None:
    await page.goto(f"{site.url}/?lang={lang}")
    await tab_to(page, ".skip-link")  # the first stop: skip to the content
    await tab_to(page, "#name")
    await page.keyboard.type("k.keyboard")
    await tab_to(page, "#password")
    await page.keyboard.type(TEST_PASSWORD)
    await tab_to(page, "main form[action^='/signin'] button[type=submit]")
    await enter_to_go(page)
    await expect(page.locator("#password")).to_have_count(0)


async def test_signing_in_and_opening_a_case_with_the_keyboard_alone(site: Site, page: Page) -> None:
    name = unique_name("Ilinka")
    body = family()
    body["members"][0]["name"] = name
    async with httpx.AsyncClient(base_url=site.url) as api:
        created = await api.post("/v1/cases", json=body, headers={"Authorization": f"Bearer {site.token}"})
    assert created.status_code == 201, created.text

    await sign_in(page, site, "sq")
    await expect(page.get_by_role("heading", name="Rastet")).to_be_visible()
    await tab_to(page, "#q")  # search for her, then open her case from the list
    await page.keyboard.type(name)
    await enter_to_go(page)
    await tab_to(page, f"table.cases a[href='/cases/{created.json()['id']}']")
    await enter_to_go(page)
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await expect(page.locator("h2#details-title")).to_have_text("Të dhënat")
    # and back to the list, going backwards through the page
    await tab_to(page, "p.back a", backwards=True)
    await enter_to_go(page)
    await expect(page.get_by_role("heading", name="Rastet")).to_be_visible()


async def test_registering_a_family_with_the_keyboard_alone(site: Site, page: Page) -> None:
    principal, child = unique_name("Fatmire"), unique_name("Dion")
    today = datetime.now(UTC)

    await sign_in(page, site, "mk")
    await tab_to(page, "a[href='/cases/new']")
    await enter_to_go(page)
    await expect(page.get_by_role("heading", name="Регистрирај повратник или семејство")).to_be_visible()

    await choose(page, "#municipality", "tetovo")
    await tab_to(page, "#sending_country")
    await page.keyboard.type("DE")
    await type_date(page, "#arrival_date", today - timedelta(days=1))
    await tab_to(page, "#members-0-name")
    await page.keyboard.type(principal)
    await type_date(page, "#members-0-date_of_birth", today.replace(year=today.year - 35))
    await choose(page, "#members-0-sex", "female")
    # another member: the button re-draws the form with the focus in the new row's name
    await tab_to(page, "button[value=add_member]")
    await enter_to_go(page)
    await expect(page.locator("#members-1-name")).to_be_focused()
    await page.keyboard.type(child)
    await type_date(page, "#members-1-date_of_birth", today.replace(year=today.year - 6))
    await choose(page, "#members-1-sex", "male")
    await choose(page, "#members-1-relationship", "child")
    # a need, then back (Shift+Tab) to a vulnerability above it, then on to consent
    for box, backwards in (
        ("#needs-housing", False),
        ("#vulnerabilities-single_parent", True),
        ("#consent-housing", False),
    ):
        await tab_to(page, box, backwards=backwards)
        await page.keyboard.press("Space")
        await expect(page.locator(box)).to_be_checked()
    await tab_to(page, "button.primary[value=register]")
    await enter_to_go(page)

    await expect(page.get_by_role("heading", name=principal)).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Случајот е регистриран.")
    await expect(page.locator("table").first).to_contain_text(child)
    await expect(page.locator(".details")).to_contain_text("Tetovo")
