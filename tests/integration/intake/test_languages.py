# ruff: noqa: RUF001 - Macedonian is written in Cyrillic: its letters that look Latin are letters here
"""The pages' three languages on intake's pages (issue 15, point 5): `?lang=`, remembered on the
signed-in user; the browser's Accept-Language before that; English last. Each page's words, its
codes' labels, its dates and money and its forms' errors in the language chosen."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from babel.dates import format_date
from babel.numbers import format_currency

from services.intake.use_cases.privacy import erase_case
from shared.events.codes import ErasureReason
from shared.identity.model import Role
from shared.privacy import Actor
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family
from tests.integration.intake.test_privacy import context, registered
from tests.integration.intake.test_service import signed_in
from tests.support import TEST_PASSWORD

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


async def test_the_case_page_speaks_macedonian_and_albanian_with_the_locales_dates_and_money(
    intake: IntakeUnderTest,
) -> None:
    created = await intake.client.post("/v1/cases", json=family(), headers=intake.auth(Role.CASEWORKER))
    case_id = created.json()["id"]
    async with signed_in(intake, Role.CASEWORKER) as caseworker:
        proposed = await caseworker.post(f"/cases/{case_id}/plan", data={"amount-housing": "1500.50"})
        macedonian = await caseworker.get(f"/cases/{case_id}?lang=mk&done=plan")
        albanian = await caseworker.get(f"/cases/{case_id}?lang=sq")
        english = await caseworker.get(f"/cases/{case_id}?lang=en")

    assert proposed.status_code == 303
    arrival = date.fromisoformat(created.json()["arrival_date"])
    for page, lang, words in (
        (macedonian, "mk", ["Детали", "Домаќинство", "Процена", "Зачувај процена", "Хронологија"]),
        (albanian, "sq", ["Të dhënat", "Familja", "Vlerësimi", "Ruaj vlerësimin", "Kronologjia"]),
        (english, "en", ["Details", "Household", "Assessment", "Save assessment", "Timeline"]),
    ):
        assert page_language(page.text) == lang
        assert all(word in page.text for word in words), lang
        assert format_date(arrival, format="medium", locale=lang) in page.text  # the locale's date
        amount = format_currency(Decimal("1500.50"), "EUR", locale=lang)  # the locale's money
        assert amount in page.text, (lang, amount)
    # codes through the labels catalogue: a status, a sex, a need; a Python-side notice
    assert "Предложен план" in macedonian.text
    assert "Женски" in macedonian.text
    assert "Планот е зачуван. Супервизор сега може да го одобри." in macedonian.text
    assert "Plan i propozuar" in albanian.text
    assert "Femër" in albanian.text
    assert "Plan proposed" in english.text
    assert "Female" in english.text
    for english_word in ("Save assessment", "Reintegration plan", "Close the case", "(optional)"):
        assert english_word not in macedonian.text
        assert english_word not in albanian.text


async def test_a_forms_errors_are_told_in_the_pages_language(intake: IntakeUnderTest) -> None:
    created = await intake.client.post("/v1/cases", json=family(), headers=intake.auth(Role.CASEWORKER))
    case_id = created.json()["id"]
    async with signed_in(intake, Role.CASEWORKER) as caseworker:
        await caseworker.get("/?lang=mk")  # remembered on the user
        plan = await caseworker.post(f"/cases/{case_id}/plan", data={"amount-cash": "12.345"})
        await caseworker.get("/?lang=sq")
        registration = await caseworker.post("/cases/new", data={"member_count": "1", "action": "register"})
        await caseworker.get("/?lang=en")

    assert plan.status_code == 422
    assert "Има проблем" in plan.text  # the error summary's title
    assert "Готовина: износ" in plan.text  # the field, as the summary names it
    assert "EUR има 2 децимални места" in plan.text
    assert registration.status_code == 422
    assert "Ka një problem" in registration.text
    assert "Kjo fushë është e detyrueshme" in registration.text  # the rules' message, translated
    assert "Anëtari 1: Emri i plotë" in registration.text
    assert "Zgjidhni…" in registration.text  # the macros' blank choice


async def test_the_apis_problems_follow_accept_language_with_intakes_own_field_messages(
    intake: IntakeUnderTest,
) -> None:
    body = family()
    del body["members"][0]["name"]
    answers = {
        lang: await intake.client.post(
            "/v1/cases", json=body, headers=intake.auth(Role.CASEWORKER, **{"Accept-Language": lang})
        )
        for lang in ("en", "mk", "sq")
    }
    missing_case = await intake.client.get(
        "/v1/cases/01900000-0000-7000-8000-000000000000",
        headers=intake.auth(Role.CASEWORKER, **{"Accept-Language": "mk"}),
    )

    name = "/members/0/name"
    messages = {
        lang: next(e["detail"] for e in a.json()["errors"] if e["pointer"] == name)
        for lang, a in answers.items()
    }
    assert {a.json()["type"] for a in answers.values()} == {"/problems/validation-failed"}
    assert messages == {
        "en": "this field is required",
        "mk": "ова поле е задолжително",
        "sq": "kjo fushë është e detyrueshme",
    }
    assert answers["sq"].json()["title"] == "Kërkesa nuk është e vlefshme"
    assert missing_case.status_code == 404
    assert missing_case.json()["type"] == "/problems/not-found"
    assert missing_case.json()["detail"] == "нема случај 01900000-0000-7000-8000-000000000000"


async def test_a_language_picked_on_the_sign_in_page_stays_after_signing_in(intake: IntakeUnderTest) -> None:
    user = intake.users[Role.SUPERVISOR]
    async with signed_in(intake, None) as browser:
        english = {"Accept-Language": "en"}  # the browser's: the page picked overrides it
        form = await browser.get("/?lang=sq", headers=english)
        wrong = await browser.post(
            "/signin?lang=sq", data={"name": user.name, "password": "x"}, headers=english
        )
        done = await browser.post(
            "/signin?lang=sq", data={"name": user.name, "password": TEST_PASSWORD}, headers=english
        )
        after = await browser.get(done.headers["location"], headers=english)

    assert 'action="/signin?lang=sq"' in form.text
    assert wrong.status_code == 401
    assert "Emri ose fjalëkalimi është i gabuar." in wrong.text  # still in Albanian
    assert done.status_code == 303
    assert heading(after.text) == "Rastet"
    assert (await intake.identity.active_user(user.id)).language == "sq"


async def test_the_not_allowed_page_says_why_in_the_pages_language(intake: IntakeUnderTest) -> None:
    async with signed_in(intake, Role.AUDITOR) as auditor:
        refused = await auditor.get("/cases/new?lang=mk")
        await auditor.get("/?lang=en")

    assert refused.status_code == 403
    assert heading(refused.text) == "Не е дозволено"
    assert "вашата улога (auditor) не може да го направи ова" in refused.text


async def test_an_erased_cases_page_in_macedonian_and_albanian(intake: IntakeUnderTest) -> None:
    case_id = (await registered(intake))["id"]
    supervisor = Actor.of(intake.users[Role.SUPERVISOR])
    await erase_case(context(intake), UUID(case_id), ErasureReason.SUBJECT_REQUEST, supervisor)
    async with signed_in(intake, Role.CASEWORKER) as caseworker:
        macedonian = await caseworker.get(f"/cases/{case_id}?lang=mk")
        albanian = await caseworker.get(f"/cases/{case_id}?lang=sq")
        await caseworker.get("/?lang=en")

    assert macedonian.status_code == albanian.status_code == 200
    assert "Личните податоци на овој случај се избришани на" in macedonian.text
    assert "(Барање на лицето)" in macedonian.text  # the erasure's reason, labelled
    assert "Што останува" in macedonian.text
    assert "Të dhënat personale të këtij rasti u fshinë më" in albanian.text
    assert "Mosha në mbërritje" in albanian.text
    assert "was erased" not in macedonian.text + albanian.text


async def test_a_refusal_of_the_cases_state_in_the_pages_and_the_apis_language(
    intake: IntakeUnderTest,
) -> None:
    case_id = (await registered(intake))["id"]  # no plan yet: nothing to approve
    api = await intake.client.post(
        f"/v1/cases/{case_id}/plan/approve",
        json={},
        headers=intake.auth(Role.SUPERVISOR, **{"Accept-Language": "sq"}),
    )
    async with signed_in(intake, Role.SUPERVISOR) as supervisor:
        await supervisor.get("/?lang=mk")
        page = await supervisor.post(f"/cases/{case_id}/plan/approve", data={})
        await supervisor.get("/?lang=en")

    assert api.status_code == 409
    assert api.json()["type"] == "/problems/conflict"
    assert api.json()["detail"] == "rasti nuk ka plan për të miratuar"
    assert page.status_code == 409
    assert "Случајот нема план за одобрување" in page.text  # as a sentence, in the error summary
