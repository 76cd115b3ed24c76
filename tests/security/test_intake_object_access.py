"""Object- and property-level authorization on every intake case endpoint (OWASP API1, API3): a
caseworker sees only cases of their programmes (404, not 403, for the others, exactly as for a case
that does not exist); auditors see no personal data; every read is in the access log, ids only."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest

from tests.integration.intake.test_case_changes import PLAN
from tests.support import problem_fields

from .intake_app import DE, NL, SecuredIntake
from .intake_app import secured_intake as secured_intake  # the module's app

pytestmark = pytest.mark.integration

READS = ["", "/timeline"]
WRITES = {
    "/assessment": {"needs": ["housing"], "vulnerabilities": []},
    "/consent": {"consent": {"employment": True}},
    "/plan": PLAN,
    "/plan/approve": {},
    "/close": {"reason": "other"},
}


def page_session(app: SecuredIntake, name: str) -> dict[str, str]:
    """The caseworker page's session cookie, as a browser sends it after signing in."""
    return {"Cookie": f"homeward_token={app.tokens[name]}"}


async def test_another_programmes_case_is_a_404_like_a_case_that_does_not_exist(
    secured_intake: SecuredIntake,
) -> None:
    app = secured_intake
    theirs = await app.register("de-caseworker", DE)
    missing = str(uuid4())
    for who in ("nl-caseworker", "nl-supervisor"):
        for suffix in READS:
            other = await app.client.get(f"/v1/cases/{theirs['id']}{suffix}", headers=app.auth(who))
            absent = await app.client.get(f"/v1/cases/{missing}{suffix}", headers=app.auth(who))
            assert (other.status_code, absent.status_code) == (404, 404), (who, suffix)
            assert other.json()["detail"].replace(theirs["id"], "ID") == absent.json()["detail"].replace(
                missing, "ID"
            )
        for suffix, body in WRITES.items():
            refused = await app.client.post(
                f"/v1/cases/{theirs['id']}{suffix}", json=body, headers=app.auth(who)
            )
            assert refused.status_code in (403, 404), (who, suffix)  # 403: the role may not at all
            assert refused.status_code == 404 or (suffix == "/plan/approve" and who == "nl-caseworker")

    # nothing changed, and the owner and an unscoped supervisor still see it as it was
    for who in ("de-caseworker", "supervisor"):
        seen = await app.client.get(f"/v1/cases/{theirs['id']}", headers=app.auth(who))
        assert (seen.status_code, seen.json()["status"]) == (200, "registered")


async def test_lists_and_searches_hold_only_the_readers_programmes(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    ours = await app.register("nl-caseworker", NL)
    theirs = await app.register("de-caseworker", DE)

    async def listed(who: str, **params: str) -> set[str]:
        response = await app.client.get("/v1/cases", params={"limit": "100", **params}, headers=app.auth(who))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ours["id"] in await listed("nl-caseworker")
    assert theirs["id"] not in await listed("nl-caseworker")
    assert await listed("nl-caseworker", programme=DE) == set()
    assert await listed("nl-caseworker", q=theirs["id"]) == set()
    assert await listed("nl-caseworker", q=theirs["members"][0]["name"]) == set()
    assert {ours["id"], theirs["id"]} <= await listed("supervisor")


async def test_a_caseworker_registers_only_in_their_programmes(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    from tests.integration.intake.helpers import family

    response = await app.client.post(
        "/v1/cases", json=family(programme_id=DE), headers=app.auth("nl-caseworker")
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["programme_id"]


async def test_the_caseworker_page_keeps_the_same_scope(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    theirs = await app.register("de-caseworker", DE)
    ours = await app.register("nl-caseworker", NL)
    signed_in = page_session(app, "nl-caseworker")
    page = await app.client.get(f"/cases/{theirs['id']}", headers=signed_in)
    own = await app.client.get(f"/cases/{ours['id']}", headers=signed_in)
    listing = await app.client.get("/", headers=signed_in)
    closing = await app.client.post(
        f"/cases/{theirs['id']}/close", data={"reason": "other"}, headers=signed_in
    )
    assert (page.status_code, own.status_code, listing.status_code) == (404, 200, 200)
    assert theirs["id"] not in listing.text
    assert ours["id"] in listing.text
    assert closing.status_code == 404
    still = await app.client.get(f"/v1/cases/{theirs['id']}", headers=app.auth("supervisor"))
    assert still.json()["status"] == "registered"


async def test_auditors_see_no_personal_data_on_any_case_endpoint(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    case = await app.register("nl-caseworker", NL, vulnerabilities=["single_parent"])
    url = f"/v1/cases/{case['id']}"
    await app.client.post(f"{url}/plan", json=PLAN, headers=app.auth("nl-caseworker"))
    await app.client.post(
        f"{url}/close",
        json={"reason": "other", "note": "moved in with her sister"},
        headers=app.auth("supervisor"),
    )
    secrets = [
        *(m["name"] for m in case["members"]),
        *(m["date_of_birth"] for m in case["members"]),
        case["members"][0]["identity_document"]["number"],
        "single_parent",
        "sister",
        "rent for six months",
    ]
    auditor = app.auth("auditor")
    answers = {
        "case": await app.client.get(url, headers=auditor),
        "timeline": await app.client.get(f"{url}/timeline", headers=auditor),
        "list": await app.client.get("/v1/cases", params={"q": case["id"]}, headers=auditor),
        "page": await app.client.get(f"/cases/{case['id']}", headers=page_session(app, "auditor")),
        "page list": await app.client.get("/", headers=page_session(app, "auditor")),
    }
    for what, answer in answers.items():
        assert answer.status_code == 200, what
        for secret in secrets:
            assert secret not in answer.text, (what, secret)
    assert case["id"] in answers["list"].text
    assert case["id"] in answers["page list"].text
    # the unscoped supervisor still reads the whole case, note included
    full = await app.client.get(url, headers=app.auth("supervisor"))
    assert all(secret in json.dumps(full.json()) for secret in secrets[:3])


async def test_every_read_of_a_case_is_in_the_access_log_with_ids_only(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    case = await app.register("nl-caseworker", NL)
    reader = app.users["nl-supervisor"]
    url = f"/v1/cases/{case['id']}"
    await app.client.get(url, headers=app.auth("nl-supervisor"))
    await app.client.get(f"{url}/timeline", headers=app.auth("nl-supervisor"))
    await app.client.get("/v1/cases", params={"q": case["id"]}, headers=app.auth("nl-supervisor"))
    await app.client.get(f"/cases/{case['id']}", headers=page_session(app, "nl-supervisor"))
    await app.client.get(url, headers=app.auth("de-caseworker"))  # refused: not a read

    rows = await app.pool.fetch("SELECT * FROM access_log WHERE case_id = $1 ORDER BY id", case["id"])
    writer = app.users["nl-caseworker"]
    assert [(r["actor_id"], r["action"], r["purpose"]) for r in rows] == [
        (writer.id, "register", "case_management"),  # a write is in it too
        (reader.id, "read", "case_management"),
        (reader.id, "timeline", "case_management"),
        (reader.id, "list", "case_management"),
        (reader.id, "page", "case_management"),
    ]
    # who (id, user name, role), what, when, which case, why: no content of the case
    assert set(rows[0].keys()) == {"id", "at", "actor_id", "actor", "role", "action", "case_id", "purpose"}
