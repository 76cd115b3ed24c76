"""Object- and property-level authorization on every intake case endpoint (OWASP API1, API3): a
caseworker sees only cases of their programmes (404, not 403, for the others, exactly as for a case
that does not exist); auditors see no personal data; every read is in the access log, ids only."""

from __future__ import annotations

import json
from typing import Any
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
    signed_in = await app.page("nl-caseworker")
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
        "page": await app.client.get(f"/cases/{case['id']}", headers=await app.page("auditor")),
        "page list": await app.client.get("/", headers=await app.page("auditor")),
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
    await app.client.get(f"/cases/{case['id']}", headers=await app.page("nl-supervisor"))
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
    # the page's reader is known by their session: their name and role, as for the API
    assert {(r["actor"], r["role"]) for r in rows[1:]} == {(reader.name, "supervisor")}


async def test_a_user_with_no_programme_sees_nothing_at_all(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    case = await app.register("nl-caseworker", NL)
    nobody = app.auth("nobody's-caseworker")
    listed = await app.client.get("/v1/cases", params={"limit": "100"}, headers=nobody)
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    for suffix in READS:
        assert (await app.client.get(f"/v1/cases/{case['id']}{suffix}", headers=nobody)).status_code == 404
    page = await app.client.get("/", headers=await app.page("nobody's-caseworker"))
    assert case["id"] not in page.text
    assert "No cases match" in page.text


async def test_caseworkers_limited_to_their_office_or_their_own_cases_see_only_those(
    secured_intake: SecuredIntake,
) -> None:
    app = secured_intake
    # registered by a caseworker of the Skopje office: assigned to her, in her office
    skopje = await app.register("nl-caseworker", NL)
    assert (skopje["assigned_to"], skopje["office"]) == (str(app.users["nl-caseworker"].id), "skopje")
    own = await app.register("own-caseworker", NL)

    async def listed(who: str) -> set[str]:
        response = await app.client.get("/v1/cases", params={"limit": "100"}, headers=app.auth(who))
        return {item["id"] for item in response.json()["items"]}

    async def reads(who: str, case: dict[str, Any]) -> int:
        return (await app.client.get(f"/v1/cases/{case['id']}", headers=app.auth(who))).status_code

    assert {skopje["id"], own["id"]} <= await listed("skopje-caseworker")
    assert (await reads("skopje-caseworker", skopje), await reads("bitola-caseworker", skopje)) == (200, 404)
    assert skopje["id"] not in await listed("bitola-caseworker")
    assert own["id"] in await listed("own-caseworker")
    assert skopje["id"] not in await listed("own-caseworker")
    assert (await reads("own-caseworker", own), await reads("own-caseworker", skopje)) == (200, 404)
    refused = await app.client.post(
        f"/v1/cases/{skopje['id']}/close", json={"reason": "other"}, headers=app.auth("bitola-caseworker")
    )
    assert refused.status_code == 404

    # a supervisor gives the Skopje case to the Bitola office: the two offices swap what they see
    moved = await app.client.post(
        f"/v1/cases/{skopje['id']}/assignment",
        json={"assigned_to": str(app.users["bitola-caseworker"].id), "office": "bitola"},
        headers=app.auth("nl-supervisor"),
    )
    assert moved.status_code == 200, moved.text
    assert (await reads("bitola-caseworker", skopje), await reads("skopje-caseworker", skopje)) == (200, 404)
    timeline = await app.client.get(f"/v1/cases/{skopje['id']}/timeline", headers=app.auth("nl-supervisor"))
    assert "CaseAssigned" in [entry["type"] for entry in timeline.json()]


async def test_only_a_supervisor_reassigns_and_only_to_someone_of_the_programme(
    secured_intake: SecuredIntake,
) -> None:
    app = secured_intake
    case = await app.register("nl-caseworker", NL)
    url = f"/v1/cases/{case['id']}/assignment"
    by_caseworker = await app.client.post(url, json={"office": "bitola"}, headers=app.auth("nl-caseworker"))
    assert by_caseworker.status_code == 403
    outsider = await app.client.post(
        url, json={"assigned_to": str(app.users["de-caseworker"].id)}, headers=app.auth("nl-supervisor")
    )
    assert outsider.status_code == 422
    assert problem_fields(outsider) == ["assigned_to"]
    stranger = await app.client.post(
        url, json={"assigned_to": str(uuid4())}, headers=app.auth("nl-supervisor")
    )
    assert stranger.status_code == 422


async def test_the_supervisor_who_proposed_a_plan_cannot_approve_it(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    case = await app.register("nl-caseworker", NL)
    url = f"/v1/cases/{case['id']}/plan"
    assert (await app.client.post(url, json=PLAN, headers=app.auth("nl-supervisor"))).status_code == 200
    refused = await app.client.post(f"{url}/approve", json={}, headers=app.auth("nl-supervisor"))
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/duties-not-separated"
    assert "another supervisor" in refused.json()["detail"]
    approved = await app.client.post(f"{url}/approve", json={}, headers=app.auth("supervisor"))
    assert approved.status_code == 200
    assert approved.json()["plan"]["approved_by"] == str(app.users["supervisor"].id)
