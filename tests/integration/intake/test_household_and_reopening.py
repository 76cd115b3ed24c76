"""Cases change as lives do (issue 15, point 2), through intake's API on the real broker and
database: the household edited (HouseholdChanged, the people search finds re-indexed), contact
details changed (no event, nothing on the topic), a closed case reopened by a supervisor only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from shared.events.intake import CaseReopened, HouseholdChanged
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, published, today, unique_name
from tests.integration.intake.test_case_changes import registered
from tests.support import problem_fields

pytestmark = pytest.mark.integration

PHONE = "+389 70 555 123"


def as_edit(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's members as an edit that keeps them all, in order."""
    return [{**m, "was": i} for i, m in enumerate(case["members"])]


async def access_actions(intake: IntakeUnderTest, case_id: str) -> list[str]:
    rows = await intake.pool.fetch(
        "SELECT action FROM access_log WHERE case_id = $1 ORDER BY at", UUID(case_id)
    )
    return [r["action"] for r in rows]


async def found_by(intake: IntakeUnderTest, q: str) -> list[str]:
    response = await intake.client.get("/v1/cases", params={"q": q}, headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


async def test_a_household_edit_publishes_the_new_household_and_re_indexes_its_people(
    intake: IntakeUnderTest,
) -> None:
    case = await registered(intake)
    url, caseworker = f"/v1/cases/{case['id']}", intake.auth(Role.CASEWORKER)
    members = as_edit(case)
    removed = members[2]["name"]
    newborn = {
        "name": unique_name("Jana"),
        "date_of_birth": today().replace(day=1).isoformat(),
        "sex": "female",
        "relationship": "child",
    }
    response = await intake.client.post(
        f"{url}/household", json={"members": [members[0], members[1], newborn]}, headers=caseworker
    )

    assert response.status_code == 200, response.text
    assert [m["name"] for m in response.json()["members"]] == [
        members[0]["name"],
        members[1]["name"],
        newborn["name"],
    ]
    records = await published(intake, case["id"])
    last = (await envelopes(intake, case["id"]))[-1]
    assert last.type == "HouseholdChanged"
    changed = last.event_as(HouseholdChanged)
    assert [m.age for m in changed.household] == [34, 9, 0]
    assert changed.changed_by == str(intake.users[Role.CASEWORKER].id)
    on_the_wire = records[-1].value.decode()
    for name in (newborn["name"], members[0]["name"], removed):
        assert name not in on_the_wire
    # the people duplicate detection and search find the case by are the household as it is now
    assert case["id"] in await found_by(intake, newborn["name"])
    assert case["id"] not in await found_by(intake, removed)
    assert "edit_household" in await access_actions(intake, case["id"])
    timeline = await intake.client.get(f"{url}/timeline", headers=caseworker)
    assert "Household changed: 3 members (1 added, 1 removed)" in timeline.text


async def test_a_household_edit_that_breaks_a_rule_names_its_fields_and_changes_nothing(
    intake: IntakeUnderTest,
) -> None:
    case = await registered(intake)
    members = as_edit(case)
    two_principals = [members[0], {**members[1], "relationship": "principal", "was": 5}]
    response = await intake.client.post(
        f"/v1/cases/{case['id']}/household",
        json={"members": two_principals},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 422
    assert sorted(problem_fields(response)) == ["members.1.relationship", "members.1.was"]
    assert [e.type for e in await envelopes(intake, case["id"])] == ["ReturneeRegistered"]
    by_finance = await intake.client.post(
        f"/v1/cases/{case['id']}/household", json={"members": members}, headers=intake.auth(Role.FINANCE)
    )
    assert by_finance.status_code == 403


async def test_contact_details_stay_in_intake(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    url = f"/v1/cases/{case['id']}"
    response = await intake.client.post(
        f"{url}/contact",
        json={"phone": PHONE, "address": "ul. Ilindenska 4"},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 200, response.text
    assert response.json()["contact"] == {"phone": PHONE, "address": "ul. Ilindenska 4"}
    records = await published(intake, case["id"])
    assert [r.value for r in records if b"ReturneeRegistered" not in r.value] == []
    assert all(PHONE.encode() not in r.value for r in records)
    auditor = await intake.client.get(url, headers=intake.auth(Role.AUDITOR))
    assert PHONE not in auditor.text
    assert "change_contact" in await access_actions(intake, case["id"])
    bad = await intake.client.post(
        f"{url}/contact", json={"phone": "ring me"}, headers=intake.auth(Role.CASEWORKER)
    )
    assert bad.status_code == 422
    assert problem_fields(bad) == ["phone"]


async def test_only_a_supervisor_reopens_a_closed_case_and_its_approved_plan_is_set_aside(
    intake: IntakeUnderTest,
) -> None:
    case = await registered(intake)
    url = f"/v1/cases/{case['id']}"
    caseworker, supervisor = intake.auth(Role.CASEWORKER), intake.auth(Role.SUPERVISOR)
    reason = {"reason": "returnee_recontacted", "note": "came to the office"}
    plan = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}}]}
    assert (await intake.client.post(f"{url}/plan", json=plan, headers=caseworker)).status_code == 200
    assert (await intake.client.post(f"{url}/plan/approve", headers=supervisor)).status_code == 200
    still_open = await intake.client.post(f"{url}/reopen", json=reason, headers=supervisor)
    closed = await intake.client.post(f"{url}/close", json={"reason": "unreachable"}, headers=caseworker)
    by_caseworker = await intake.client.post(f"{url}/reopen", json=reason, headers=caseworker)
    no_reason = await intake.client.post(f"{url}/reopen", json={}, headers=supervisor)
    reopened = await intake.client.post(f"{url}/reopen", json=reason, headers=supervisor)

    assert still_open.status_code == 409
    assert closed.status_code == 200, closed.text
    assert by_caseworker.status_code == 403
    assert no_reason.status_code == 422
    assert problem_fields(no_reason) == ["reason"]
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["plan"], body["closure"]) == ("assessed", None, None)
    assert [p["status"] for p in body["earlier_plans"]] == ["approved"]
    types = [e.type for e in await envelopes(intake, case["id"])]
    assert types == ["ReturneeRegistered", "ReintegrationPlanApproved", "CaseClosed", "CaseReopened"]
    event = (await envelopes(intake, case["id"]))[-1].event_as(CaseReopened)
    assert (event.reason, event.reopened_by) == (
        "returnee_recontacted",
        str(intake.users[Role.SUPERVISOR].id),
    )
    timeline = await intake.client.get(f"{url}/timeline", headers=caseworker)
    assert "Case reopened: returnee_recontacted" in timeline.text
    # the reopened case takes a new plan
    again = await intake.client.post(f"{url}/plan", json=plan, headers=caseworker)
    assert again.status_code == 200, again.text
