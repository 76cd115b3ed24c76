"""The pages' three languages on intake's pages (issue 15, point 5): `?lang=`, remembered on the
signed-in user; the browser's Accept-Language before that; English last."""

from __future__ import annotations

import re

import pytest

from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.test_service import signed_in

pytestmark = pytest.mark.integration


def heading(html: str) -> str:
    found = re.search(r"<h1>([^<]*)</h1>", html)
    assert found, html
    return found.group(1)


def page_language(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found, html
    return found.group(1)


async def test_the_sign_in_page_follows_the_browser_then_english(intake: IntakeUnderTest) -> None:
    async with signed_in(intake, None) as browser:
        albanian = await browser.get("/", headers={"Accept-Language": "de-DE, sq;q=0.9, en;q=0.5"})
        macedonian = await browser.get("/", headers={"Accept-Language": "mk-MK"})
        other = await browser.get("/", headers={"Accept-Language": "de-DE, fr;q=0.5"})
        asked = await browser.get("/?lang=mk", headers={"Accept-Language": "sq"})

    assert (page_language(albanian.text), heading(albanian.text)) == ("sq", "Hyr")
    assert (page_language(macedonian.text), heading(macedonian.text)) == ("mk", "Најава")
    assert (page_language(other.text), heading(other.text)) == ("en", "Sign in")
    assert (page_language(asked.text), heading(asked.text)) == ("mk", "Најава")


async def test_a_language_picked_on_a_page_is_remembered_for_the_user(intake: IntakeUnderTest) -> None:
    user = intake.users[Role.CASEWORKER]
    async with signed_in(intake, Role.CASEWORKER) as browser:
        before = await browser.get("/", headers={"Accept-Language": "sq"})
        picked = await browser.get("/?lang=mk", headers={"Accept-Language": "sq"})
        later = await browser.get("/", headers={"Accept-Language": "sq"})
        unknown = await browser.get("/?lang=xx", headers={"Accept-Language": "sq"})

    assert heading(before.text) == "Rastet"  # nothing chosen yet: the browser's language
    assert heading(picked.text) == "Случаи"
    assert 'href="/?lang=sq" lang="sq"' in picked.text  # the switch, on every page
    assert heading(later.text) == "Случаи"  # remembered over the browser's language
    assert heading(unknown.text) == "Случаи"  # an unknown language changes nothing
    remembered = await intake.identity.active_user(user.id)
    assert remembered.language == "mk"
