"""`POST /v1/users`: an admin adds users over HTTP (the demo and operators without a shell use it);
the token it answers with works at once, and only an admin may call it."""

from __future__ import annotations

import pytest

from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import unique_name
from tests.support import problem_fields

pytestmark = pytest.mark.integration


def a_name() -> str:
    return unique_name("api").replace(" ", ".").lower()


async def test_an_admin_adds_a_user_whose_token_works_at_once(intake: IntakeUnderTest) -> None:
    name = a_name()
    added = await intake.client.post(
        "/v1/users", json={"name": name, "role": "supervisor"}, headers=intake.auth(Role.ADMIN)
    )

    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["name"], body["role"], body["expires_at"]) == (name, "supervisor", None)
    assert body["token"].startswith("hw_")
    # the token is a supervisor's: it may read cases, and the admin's own token may not
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await intake.client.get("/v1/cases", headers=headers)).status_code == 200
    assert (await intake.client.get("/v1/cases", headers=intake.auth(Role.ADMIN))).status_code == 403
    # only the hash is kept
    stored = await intake.pool.fetchval(
        f'SELECT token_hash FROM "{intake.settings.identity_schema}".users WHERE name = $1', name
    )
    assert stored != body["token"]
    assert len(stored) == 64


async def test_a_token_can_be_made_to_expire(intake: IntakeUnderTest) -> None:
    added = await intake.client.post(
        "/v1/users",
        json={"name": a_name(), "role": "finance", "expires_in_days": 30},
        headers=intake.auth(Role.ADMIN),
    )
    assert added.status_code == 201, added.text
    assert added.json()["expires_at"] is not None


async def test_a_taken_name_is_a_409_and_changes_nothing(intake: IntakeUnderTest) -> None:
    name = a_name()
    first = await intake.client.post(
        "/v1/users", json={"name": name, "role": "caseworker"}, headers=intake.auth(Role.ADMIN)
    )
    again = await intake.client.post(
        "/v1/users", json={"name": name, "role": "admin"}, headers=intake.auth(Role.ADMIN)
    )

    assert first.status_code == 201
    assert again.status_code == 409
    assert name in again.json()["detail"]
    roles = await intake.pool.fetch(
        f'SELECT role FROM "{intake.settings.identity_schema}".users WHERE name = $1', name
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
    ],
)
async def test_a_bad_request_names_its_field(
    intake: IntakeUnderTest, body: dict[str, object], field: str
) -> None:
    refused = await intake.client.post("/v1/users", json=body, headers=intake.auth(Role.ADMIN))

    assert refused.status_code == 422
    assert field in {f.split(".")[-1] for f in problem_fields(refused)}


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
async def test_only_an_admin_may_add_users(intake: IntakeUnderTest, role: Role) -> None:
    refused = await intake.client.post(
        "/v1/users", json={"name": a_name(), "role": "admin"}, headers=intake.auth(role)
    )
    assert refused.status_code == 403


async def test_without_a_token_it_is_a_401(intake: IntakeUnderTest) -> None:
    refused = await intake.client.post("/v1/users", json={"name": a_name(), "role": "admin"})
    assert refused.status_code == 401
