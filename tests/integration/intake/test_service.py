"""The service around the API: health and readiness, the OpenAPI document, the caseworker page's
sign-in cookie and its forms without a browser, and `homeward users`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from shared.http.sessions import COOKIE
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import today, unique_name
from tests.support import TEST_PASSWORD, eventually

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


async def test_health_readiness_and_openapi(intake: IntakeUnderTest) -> None:
    assert (await intake.client.get("/healthz")).status_code == 200
    ready = await intake.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": {"status": "up", "error": None}, "broker": {"status": "up", "error": None}},
    }
    document = (await intake.client.get("/openapi.json")).json()
    registration = document["paths"]["/v1/cases"]["post"]["requestBody"]["content"]["application/json"]
    assert registration["schema"] == {"$ref": "#/components/schemas/Registration"}
    schemas = document["components"]["schemas"]
    assert {"Registration", "Member", "IdentityDocument", "PlanProposal", "ConsentChange"} <= set(schemas)
    assert schemas["Registration"]["additionalProperties"] is False
    assert (await intake.client.get("/docs")).status_code == 200


async def test_signing_in_sets_an_httponly_strict_cookie_holding_a_session_id(
    intake: IntakeUnderTest,
) -> None:
    name = intake.users[Role.CASEWORKER].name
    async with signed_in(intake, None) as browser:
        refused = await browser.post("/signin", data={"name": name, "password": "not her password"})
        accepted = await browser.post("/signin", data={"name": name, "password": TEST_PASSWORD})

    assert refused.status_code == 401
    assert "The name or the password is wrong" in refused.text
    assert "set-cookie" not in refused.headers
    assert accepted.status_code == 303
    cookie = accepted.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert intake.tokens[Role.CASEWORKER] not in cookie  # never a token in a cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie


@asynccontextmanager
async def signed_in(intake: IntakeUnderTest, role: Role | None) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of its own (cookies are per client), signed in as `role`'s user with
    their password (or not signed in)."""
    cookies = {}
    if role is not None:
        cookies[COOKIE] = (await intake.page(role))["Cookie"].split("=", 1)[1]
    async with httpx.AsyncClient(
        transport=intake.client._transport, base_url="http://intake.test", cookies=cookies
    ) as browser:
        yield browser


async def test_the_registration_form_works_without_javascript(intake: IntakeUnderTest) -> None:
    form = {
        "idempotency_key": "form-1-" + unique_name(),
        "member_count": "1",
        "programme_id": "NL-AVRR",
        "country_of_return": "MK",
        "municipality": "bitola",
        "sending_country": "NL",
        "arrival_date": today().isoformat(),
        "members-0-name": unique_name("Arta"),
        "members-0-date_of_birth": today().replace(year=today().year - 30).isoformat(),
        "members-0-sex": "female",
        "members-0-relationship": "principal",
        "needs": ["housing", "employment"],
        "consent-housing": "yes",
    }
    async with signed_in(intake, None) as anonymous_browser:
        anonymous = await anonymous_browser.get("/cases/new")
    async with signed_in(intake, Role.CASEWORKER) as browser:
        more = await browser.post("/cases/new", data=form | {"action": "add_member"})
        with_child = form | {
            "member_count": "2",
            "members-1-name": unique_name("Lira"),
            "members-1-date_of_birth": "2999-01-01",
            "members-1-sex": "female",
            "members-1-relationship": "child",
        }
        invalid = await browser.post("/cases/new", data=with_child | {"action": "register"})
        with_child["members-1-date_of_birth"] = today().replace(year=today().year - 5).isoformat()
        done = await browser.post("/cases/new", data=with_child | {"action": "register"})
        case_page = await browser.get(done.headers["location"])
    async with signed_in(intake, Role.AUDITOR) as auditor:
        auditor_page = await auditor.get(done.headers["location"])

    # the sign-in form, in place of the page asked for
    assert anonymous.status_code == 200
    assert 'action="/signin"' in anonymous.text
    assert 'id="members-0-name"' not in anonymous.text
    assert more.status_code == 200
    assert 'id="members-1-name"' in more.text
    assert 'name="member_count" value="2"' in more.text
    assert invalid.status_code == 422
    error = re.search(r'id="members-1-date_of_birth-error">(.*?)</p>', invalid.text, re.S)
    assert error is not None
    assert "A date of birth cannot be in the future" in error.group(1)
    assert form["members-0-name"] in invalid.text  # what was typed is kept
    assert done.status_code == 303
    assert case_page.status_code == 200
    assert form["members-0-name"] in case_page.text
    assert "Registered: a household of 2" in case_page.text
    assert auditor_page.status_code == 200
    assert form["members-0-name"] not in auditor_page.text


def homeward(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "homeward.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_homeward_users_add_prints_a_token_once_that_the_api_accepts_until_revoked(
    intake: IntakeUnderTest,
) -> None:
    env = os.environ | {
        "HOMEWARD_DATABASE_URL": intake.settings.database_url,
        "HOMEWARD_IDENTITY_SCHEMA": intake.settings.identity_schema,
    }
    name = "cli-" + unique_name().split("-")[-1]

    added = homeward("users", "add", name, "--role", "auditor", "--expires-in-days", "30", env=env)
    again = homeward("users", "add", name, "--role", "auditor", env=env)

    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("hw_")
    assert again.returncode == 1
    assert "exists already" in again.stderr
    assert (
        await intake.client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    stored = await intake.pool.fetchval(
        f'SELECT t.token_hash FROM "{intake.settings.identity_schema}".api_tokens t'
        f' JOIN "{intake.settings.identity_schema}".users u ON u.id = t.user_id WHERE u.name = $1',
        name,
    )
    assert stored != token  # only the hash is stored

    revoked = homeward("users", "revoke", name, env=env)
    assert revoked.returncode == 0

    # the service keeps verified tokens in memory: the shell's revocation reaches it as a notice
    # when it commits (shared.identity.verified), handled as soon as the service's loop runs again
    async def refused() -> bool:
        answer = await intake.client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
        return answer.status_code == 401

    await eventually(refused, timeout=5, what="the revoked token refused")


async def test_the_case_page_proposes_a_plan_in_major_units_and_a_supervisor_approves_it(
    intake: IntakeUnderTest,
) -> None:
    from tests.integration.intake.helpers import envelopes, family

    created = await intake.client.post("/v1/cases", json=family(), headers=intake.auth(Role.CASEWORKER))
    case_id = created.json()["id"]
    async with signed_in(intake, Role.CASEWORKER) as caseworker:
        refused = await caseworker.post(f"/cases/{case_id}/plan", data={"amount-cash": "12.345"})
        proposed = await caseworker.post(
            f"/cases/{case_id}/plan", data={"amount-cash": "1000", "amount-housing": "1,500.50"}
        )
        not_theirs = await caseworker.post(f"/cases/{case_id}/plan/approve", data={})
    async with signed_in(intake, Role.SUPERVISOR) as supervisor:
        page = await supervisor.get(f"/cases/{case_id}")
        plan_id = re.search(r'name="plan_id" value="([0-9a-f-]+)"', page.text)
        assert plan_id is not None
        approved = await supervisor.post(f"/cases/{case_id}/plan/approve", data={"plan_id": plan_id.group(1)})
        after = await supervisor.get(approved.headers["location"])

    assert refused.status_code == 422
    error = re.search(r'id="amount-cash-error">(.*?)</p>', refused.text, re.S)
    assert error is not None
    assert "EUR has 2 decimal places" in error.group(1)
    assert proposed.status_code == 303
    assert not_theirs.status_code == 403
    assert approved.status_code == 303
    assert "Plan approved. Grants will size the grant from it." in after.text
    assert "Plan approved: EUR 2500.50" in after.text
    published = await envelopes(intake, case_id)
    assert [e.type for e in published] == ["ReturneeRegistered", "ReintegrationPlanApproved"]
    assert [a["requested"] for a in published[1].data["assistance"]] == [
        {"amount": 100_000, "currency": "EUR"},
        {"amount": 150_050, "currency": "EUR"},
    ]
