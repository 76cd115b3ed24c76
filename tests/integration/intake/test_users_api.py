"""`/v1/users` and `/v1/tokens`: an admin makes users over HTTP with a role, programmes, an office and
a password or a token; lists and reads them with every grant recorded; changes their grant (recorded,
with who gave it), revokes them (sessions and tokens end at once), resets passwords, issues and
revokes tokens. Only an admin may, and never on themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family, unique_name
from tests.support import problem_fields, sign_in

pytestmark = pytest.mark.integration

NL = "NL-AVRR"
PASSWORD = "a sentence only she would write"
PARTNER = "vardar-housing-cooperative"  # in the partner directory (deploy/config/partners.yaml)


def a_name() -> str:
    return unique_name("api").replace(" ", ".").lower()


async def add(intake: IntakeUnderTest, **body: Any) -> Any:
    answer = await intake.client.post(
        "/v1/users", json={"name": a_name(), **body}, headers=intake.auth(Role.ADMIN)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_admin_adds_a_machine_whose_token_works_at_once_and_expires(intake: IntakeUnderTest) -> None:
    body = await add(intake, role="supervisor", programmes=[NL])

    assert (body["role"], body["programmes"], body["has_password"]) == ("supervisor", [NL], False)
    assert body["created_by"] == str(intake.users[Role.ADMIN].id)
    assert body["token"].startswith("hw_")
    expires = datetime.fromisoformat(body["token_expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await intake.client.get("/v1/cases", headers=headers)).status_code == 200
    assert (await intake.client.get("/v1/cases", headers=intake.auth(Role.ADMIN))).status_code == 403
    stored = await intake.pool.fetchval(
        f'SELECT token_hash FROM "{intake.settings.identity_schema}".api_tokens WHERE user_id = $1',
        body["id"],
    )
    assert stored != body["token"]
    assert len(stored) == 64


async def test_an_admin_adds_a_person_who_signs_in_with_the_password(intake: IntakeUnderTest) -> None:
    body = await add(intake, role="caseworker", programmes=[NL], office="skopje", password=PASSWORD)
    assert (body["has_password"], body["token"], body["office"]) == (True, None, "skopje")
    session = await sign_in(intake.client, body["name"], PASSWORD)
    me = await intake.client.get("/v1/session", headers=session)
    assert (me.json()["name"], me.json()["programmes"]) == (body["name"], [NL])


async def test_a_users_scope_is_what_they_see(intake: IntakeUnderTest) -> None:
    case = await intake.client.post(
        "/v1/cases", json=family(programme_id=NL), headers=intake.auth(Role.SUPERVISOR)
    )
    nl = await add(intake, role="auditor", programmes=[NL])
    nothing = await add(intake, role="auditor")
    for body, seen in ((nl, 200), (nothing, 404)):
        headers = {"Authorization": f"Bearer {body['token']}"}
        assert (
            await intake.client.get(f"/v1/cases/{case.json()['id']}", headers=headers)
        ).status_code == seen


async def test_changing_a_grant_is_recorded_with_who_made_it_and_applies_at_once(
    intake: IntakeUnderTest,
) -> None:
    body = await add(intake, role="auditor")
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await intake.client.get("/v1/cases", headers=headers)).json()["items"] == []
    changed = await intake.client.put(
        f"/v1/users/{body['id']}/grant",
        json={"role": "supervisor", "programmes": [NL], "office": "bitola", "case_scope": "office"},
        headers=intake.auth(Role.ADMIN),
    )
    assert changed.status_code == 200, changed.text
    grants = changed.json()["grants"]
    assert [(g["change"], g["role"], g["granted_by"], g["via"]) for g in grants] == [
        ("granted", "auditor", str(intake.users[Role.ADMIN].id), "http"),
        ("changed", "supervisor", str(intake.users[Role.ADMIN].id), "http"),
    ]
    assert (grants[1]["programmes"], grants[1]["office"], grants[1]["case_scope"]) == (
        [NL],
        "bitola",
        "office",
    )
    me = await intake.client.get("/v1/session", headers=headers)  # the same token, the new grant
    assert (me.json()["role"], me.json()["case_scope"]) == ("supervisor", "office")
    listed = await intake.client.get("/v1/users", params={"limit": "500"}, headers=intake.auth(Role.ADMIN))
    assert body["id"] in {u["id"] for u in listed.json()["items"]}


async def test_revoking_a_user_ends_their_sessions_and_tokens_at_once(intake: IntakeUnderTest) -> None:
    body = await add(intake, role="caseworker", programmes=[NL], password=PASSWORD, token=True)
    token = {"Authorization": f"Bearer {body['token']}"}
    session = await sign_in(intake.client, body["name"], PASSWORD)
    revoked = await intake.client.post(f"/v1/users/{body['id']}/revoke", headers=intake.auth(Role.ADMIN))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert [g["change"] for g in revoked.json()["grants"]] == ["granted", "revoked"]
    assert (await intake.client.get("/v1/cases", headers=token)).status_code == 401
    assert (await intake.client.get("/v1/cases", headers=session)).status_code == 401
    # ended on the server, not merely refused while the user stays revoked
    assert [t["revoked_at"] is not None for t in revoked.json()["tokens"]] == [True]
    ended = await intake.pool.fetch(
        f'SELECT ended_because FROM "{intake.settings.identity_schema}".sessions WHERE user_id = $1',
        body["id"],
    )
    assert [r["ended_because"] for r in ended] == ["user_revoked"]
    again = await intake.client.post(f"/v1/users/{body['id']}/revoke", headers=intake.auth(Role.ADMIN))
    assert again.status_code == 404


async def test_tokens_are_issued_and_revoked_one_by_one(intake: IntakeUnderTest) -> None:
    body = await add(intake, role="auditor", programmes=[NL])
    issued = await intake.client.post(
        f"/v1/users/{body['id']}/tokens", json={"expires_in_days": 7}, headers=intake.auth(Role.ADMIN)
    )
    assert issued.status_code == 201, issued.text
    second = issued.json()
    revoked = await intake.client.post(f"/v1/tokens/{second['id']}/revoke", headers=intake.auth(Role.ADMIN))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    first_works = await intake.client.get("/v1/cases", headers={"Authorization": f"Bearer {body['token']}"})
    second_works = await intake.client.get(
        "/v1/cases", headers={"Authorization": f"Bearer {second['token']}"}
    )
    assert (first_works.status_code, second_works.status_code) == (200, 401)
    detail = await intake.client.get(f"/v1/users/{body['id']}", headers=intake.auth(Role.ADMIN))
    assert [t["revoked_at"] is not None for t in detail.json()["tokens"]] == [False, True]
    assert "token" not in {k for t in detail.json()["tokens"] for k in t}  # never the secrets


async def test_an_admin_may_not_change_or_revoke_themselves(intake: IntakeUnderTest) -> None:
    me = intake.users[Role.ADMIN].id
    grant = await intake.client.put(
        f"/v1/users/{me}/grant",
        json={"role": "supervisor", "programmes": [NL]},
        headers=intake.auth(Role.ADMIN),
    )
    revoke = await intake.client.post(f"/v1/users/{me}/revoke", headers=intake.auth(Role.ADMIN))
    assert (grant.status_code, revoke.status_code) == (409, 409)
    assert "another admin" in grant.json()["detail"]


async def test_a_taken_name_is_a_409_and_changes_nothing(intake: IntakeUnderTest) -> None:
    name = a_name()
    first = await intake.client.post(
        "/v1/users", json={"name": name, "role": "caseworker"}, headers=intake.auth(Role.ADMIN)
    )
    again = await intake.client.post(
        "/v1/users", json={"name": name.upper(), "role": "admin"}, headers=intake.auth(Role.ADMIN)
    )

    assert first.status_code == 201
    assert again.status_code == 409
    assert name.upper() in again.json()["detail"]
    roles = await intake.pool.fetch(
        f'SELECT role FROM "{intake.settings.identity_schema}".users WHERE lower(name) = $1', name
    )
    assert [r["role"] for r in roles] == ["caseworker"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x.y", "role": "janitor"}, "role"),
        ({"name": "", "role": "finance"}, "name"),
        ({"name": "has space", "role": "finance"}, "name"),
        ({"name": "x.z", "role": "finance", "expires_in_days": 0}, "expires_in_days"),
        ({"role": "finance"}, "name"),
        ({"name": "x.p", "role": "finance", "programmes": ["NL-AVVR"]}, "programmes"),
        ({"name": "x.a", "role": "admin", "programmes": [NL]}, "programmes"),
        ({"name": "x.o", "role": "caseworker", "case_scope": "office"}, "office"),
        ({"name": "x.w", "role": "caseworker", "password": "short"}, "password"),
        ({"name": "x.q", "role": "caseworker", "password": "qwertyuiopasdfghjkl"}, "password"),
        ({"name": "x.n", "role": "caseworker", "password": "x.n and some more words"}, "password"),
        ({"name": "x.l", "role": "auditor", "expires_in_days": 91}, "expires_in_days"),
        # a partner's staff act for one partner of the directory, and only they do
        ({"name": "x.pa", "role": "partner"}, "partner_id"),
        ({"name": "x.pb", "role": "partner", "partner_id": "no-such-partner"}, "partner_id"),
        ({"name": "x.pc", "role": "partner", "partner_id": "Not An Id"}, "partner_id"),
        ({"name": "x.pd", "role": "partner", "partner_id": PARTNER, "programmes": [NL]}, "programmes"),
        ({"name": "x.pe", "role": "caseworker", "partner_id": PARTNER}, "partner_id"),
    ],
)
async def test_a_bad_request_names_its_field(
    intake: IntakeUnderTest, body: dict[str, object], field: str
) -> None:
    refused = await intake.client.post("/v1/users", json=body, headers=intake.auth(Role.ADMIN))

    assert refused.status_code == 422, refused.text
    assert field in {f.split(".")[-1] for f in problem_fields(refused)}


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
async def test_only_an_admin_may_manage_users(intake: IntakeUnderTest, role: Role) -> None:
    someone = intake.users[Role.CASEWORKER].id
    for method, path, body in (
        ("POST", "/v1/users", {"name": a_name(), "role": "admin"}),
        ("GET", "/v1/users", None),
        ("GET", f"/v1/users/{someone}", None),
        ("PUT", f"/v1/users/{someone}/grant", {"role": "admin"}),
        ("POST", f"/v1/users/{someone}/revoke", None),
        ("POST", f"/v1/users/{someone}/password", {"password": PASSWORD}),
        ("POST", f"/v1/users/{someone}/tokens", {}),
    ):
        refused = await intake.client.request(method, path, json=body, headers=intake.auth(role))
        assert refused.status_code == 403, (method, path)


async def test_without_a_token_it_is_a_401(intake: IntakeUnderTest) -> None:
    refused = await intake.client.post("/v1/users", json={"name": a_name(), "role": "admin"})
    assert refused.status_code == 401


async def test_an_admin_binds_a_partners_staff_member_to_their_partner_and_nothing_else(
    intake: IntakeUnderTest,
) -> None:
    body = await add(intake, role="partner", partner_id=PARTNER, password=PASSWORD)

    assert (body["role"], body["partner_id"], body["programmes"]) == ("partner", PARTNER, [])
    detail = (await intake.client.get(f"/v1/users/{body['id']}", headers=intake.auth(Role.ADMIN))).json()
    assert [(g["change"], g["role"], g["partner_id"]) for g in detail["grants"]] == [
        ("granted", "partner", PARTNER)
    ]
    # they sign in, and intake lets them read and do nothing: not the API, not the pages
    session = await sign_in(intake.client, body["name"], PASSWORD)
    for path in ("/v1/cases", "/v1/arrivals", "/v1/monitoring/due", "/v1/users"):
        assert (await intake.client.get(path, headers=session)).status_code == 403, path
    for page in ("/", "/cases/new", "/reception", "/monitoring", "/access-log"):
        assert (await intake.client.get(page, headers=session)).status_code == 403, page
    # taking the partner role away takes the partner with it (the database holds the two together)
    changed = await intake.client.put(
        f"/v1/users/{body['id']}/grant", json={"role": "auditor"}, headers=intake.auth(Role.ADMIN)
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["partner_id"]) == ("auditor", None)
