"""After registration: assessment, consent, plan and its approval, closure. Who may do what (401,
403), what each change publishes, and what an auditor can read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.events.intake import ConsentChanged, NeedsAssessed, ReintegrationPlanApproved, ReturneeRegistered
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, family
from tests.support import problem_fields

pytestmark = pytest.mark.integration

PLAN = {
    "assistance": [
        {"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}},
        {"assistance_type": "housing", "requested": {"amount": 150_000, "currency": "EUR"}},
    ],
    "note": "rent for six months",
}


async def registered(intake: IntakeUnderTest, **overrides: Any) -> dict[str, Any]:
    response = await intake.client.post(
        "/v1/cases", json=family(**overrides), headers=intake.auth(Role.CASEWORKER)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_without_a_valid_token_the_api_answers_401(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    nobody = await intake.client.get(f"/v1/cases/{case['id']}")
    wrong = await intake.client.get(
        f"/v1/cases/{case['id']}", headers={"Authorization": "Bearer hw_not-a-token"}
    )
    register = await intake.client.post("/v1/cases", json=family())

    assert nobody.status_code == wrong.status_code == register.status_code == 401
    assert nobody.headers["www-authenticate"] == "Bearer"


async def test_only_a_supervisor_approves_a_plan(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    url = f"/v1/cases/{case['id']}"
    proposed = await intake.client.post(f"{url}/plan", json=PLAN, headers=intake.auth(Role.CASEWORKER))
    plan_id = proposed.json()["plan"]["id"]

    by_caseworker = await intake.client.post(f"{url}/plan/approve", headers=intake.auth(Role.CASEWORKER))
    by_finance = await intake.client.post(f"{url}/plan/approve", headers=intake.auth(Role.FINANCE))
    unauthenticated = await intake.client.post(f"{url}/plan/approve")
    by_supervisor = await intake.client.post(
        f"{url}/plan/approve", json={"plan_id": plan_id}, headers=intake.auth(Role.SUPERVISOR)
    )
    again = await intake.client.post(f"{url}/plan/approve", headers=intake.auth(Role.SUPERVISOR))

    assert proposed.status_code == 200, proposed.text
    assert by_caseworker.status_code == by_finance.status_code == 403
    assert unauthenticated.status_code == 401
    assert by_supervisor.status_code == 200, by_supervisor.text
    assert by_supervisor.json()["status"] == "plan_approved"
    assert by_supervisor.json()["plan"]["approved_by"] == str(intake.users[Role.SUPERVISOR].id)
    assert again.status_code == 409
    published = await envelopes(intake, case["id"])
    assert [e.type for e in published] == ["ReturneeRegistered", "ReintegrationPlanApproved"]
    approved = published[1].event_as(ReintegrationPlanApproved)
    assert (approved.adults, approved.children) == (1, 2)
    assert [m.age for m in approved.household] == [34, 9, 4]
    assert approved.vulnerabilities == ["single_parent"]
    assert [(a.assistance_type, a.requested.amount, a.requested.currency) for a in approved.assistance] == [
        ("cash", 100_000, "EUR"),
        ("housing", 150_000, "EUR"),
    ]
    assert approved.approved_by == str(intake.users[Role.SUPERVISOR].id)
    assert "six months" not in published[1].to_bytes().decode()  # the note stays home


async def test_a_return_from_norway_naming_no_programme_is_norways_and_its_services_are_published(
    intake: IntakeUnderTest,
) -> None:
    data = family(sending_country="NO")
    del data["programme_id"]
    response = await intake.client.post("/v1/cases", json=data, headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["programme_id"] == "NO-VARP"
    url, caseworker = f"/v1/cases/{case['id']}", intake.auth(Role.CASEWORKER)
    details = {"training_wanted": ["welding"], "business_sector": "repair", "business_plan_stage": "idea"}
    without = await intake.client.post(
        f"{url}/assessment",
        json={"needs": ["vocational_training", "micro_business"], "vulnerabilities": []},
        headers=caseworker,
    )
    assessed = await intake.client.post(
        f"{url}/assessment",
        json={"needs": ["vocational_training", "micro_business"], "vulnerabilities": [], **details},
        headers=caseworker,
    )
    plan = {
        "assistance": [
            {"assistance_type": "vocational_training", "requested": {"amount": 500_000, "currency": "NOK"}}
        ]
    }
    await intake.client.post(f"{url}/plan", json=plan, headers=caseworker)
    approved = await intake.client.post(f"{url}/plan/approve", json={}, headers=intake.auth(Role.SUPERVISOR))

    assert without.status_code == 422
    assert problem_fields(without) == ["training_wanted", "business_sector", "business_plan_stage"]
    assert assessed.status_code == 200, assessed.text
    assert approved.status_code == 200, approved.text
    published = await envelopes(intake, case["id"])
    assert [e.type for e in published] == ["ReturneeRegistered", "NeedsAssessed", "ReintegrationPlanApproved"]
    assert published[0].event_as(ReturneeRegistered).programme_id == "NO-VARP"
    facts = published[1].event_as(NeedsAssessed)
    assert (facts.training_wanted, facts.business_sector, facts.business_plan_stage) == (
        ["welding"],
        "repair",
        "idea",
    )
    grant = published[2].event_as(ReintegrationPlanApproved)
    assert (grant.programme_id, grant.needs) == ("NO-VARP", ["vocational_training", "micro_business"])


async def test_a_plan_in_another_currency_than_the_programme_is_refused(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    plan = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 1000, "currency": "CHF"}}]}
    response = await intake.client.post(
        f"/v1/cases/{case['id']}/plan", json=plan, headers=intake.auth(Role.CASEWORKER)
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["assistance.0.requested.currency"]


async def test_assessment_consent_and_closure_each_publish_their_event(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    url, caseworker = f"/v1/cases/{case['id']}", intake.auth(Role.CASEWORKER)

    assessed = await intake.client.post(
        f"{url}/assessment",
        json={"needs": ["employment", "housing"], "vulnerabilities": ["single_parent", "medical_condition"]},
        headers=caseworker,
    )
    consent = await intake.client.post(
        f"{url}/consent", json={"consent": {"employment": True, "education": False}}, headers=caseworker
    )
    unchanged = await intake.client.post(
        f"{url}/consent", json={"consent": {"employment": True}}, headers=caseworker
    )
    closed = await intake.client.post(f"{url}/close", json={"reason": "reintegrated"}, headers=caseworker)
    after_close = await intake.client.post(
        f"{url}/consent", json={"consent": {"medical": True}}, headers=caseworker
    )

    assert assessed.status_code == 200, assessed.text
    assert assessed.json()["needs"] == ["housing", "employment"]
    assert consent.json()["consent"]["employment"]["recorded_by"] == str(intake.users[Role.CASEWORKER].id)
    assert unchanged.status_code == 200
    assert closed.json()["status"] == "closed"
    assert after_close.status_code == 409
    published = await envelopes(intake, case["id"])
    assert [e.type for e in published] == [
        "ReturneeRegistered",
        "NeedsAssessed",
        "ConsentChanged",
        "CaseClosed",
    ]
    assert published[1].event_as(NeedsAssessed).vulnerabilities == ["medical_condition", "single_parent"]
    changed = published[2].event_as(ConsentChanged)
    assert (changed.granted, changed.withdrawn) == (["employment"], ["education"])
    assert changed.consent == {"housing": True, "education": False, "medical": False, "employment": True}


async def test_an_assessment_the_household_contradicts_is_refused_and_changes_nothing(
    intake: IntakeUnderTest,
) -> None:
    case = await registered(intake)
    response = await intake.client.post(
        f"/v1/cases/{case['id']}/assessment",
        json={"needs": ["housing"], "vulnerabilities": ["elderly", "unaccompanied_minor"], "mood": "fine"},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["mood"]

    response = await intake.client.post(
        f"/v1/cases/{case['id']}/assessment",
        json={"needs": ["housing"], "vulnerabilities": ["elderly"]},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["detail"] == "'elderly' needs a member aged 60 or over; the oldest is 34"
    )
    unchanged = await intake.client.get(f"/v1/cases/{case['id']}", headers=intake.auth(Role.CASEWORKER))
    assert unchanged.json()["status"] == "registered"
    assert [e.type for e in await envelopes(intake, case["id"])] == ["ReturneeRegistered"]


async def test_finance_and_auditors_read_but_do_not_write_and_auditors_see_no_personal_data(
    intake: IntakeUnderTest,
) -> None:
    case = await registered(intake)
    principal = case["members"][0]

    for role in (Role.FINANCE, Role.AUDITOR, Role.ADMIN):
        response = await intake.client.post(
            f"/v1/cases/{case['id']}/close", json={"reason": "other"}, headers=intake.auth(role)
        )
        assert response.status_code == 403, role
    finance = await intake.client.get(f"/v1/cases/{case['id']}", headers=intake.auth(Role.FINANCE))
    audited = await intake.client.get(f"/v1/cases/{case['id']}", headers=intake.auth(Role.AUDITOR))
    searched = await intake.client.get(
        "/v1/cases", params={"q": principal["name"]}, headers=intake.auth(Role.AUDITOR)
    )
    listed = await intake.client.get("/v1/cases", params={"q": case["id"]}, headers=intake.auth(Role.AUDITOR))

    assert finance.json()["members"][0]["name"] == principal["name"]
    assert audited.status_code == 200
    text = json.dumps(audited.json())
    for secret in (principal["name"], principal["date_of_birth"], principal["identity_document"]["number"]):
        assert secret not in text
    assert "single_parent" not in text
    assert [m["age"] for m in audited.json()["household"]] == [34, 9, 4]
    assert searched.json()["items"] == []  # an auditor cannot find a case by a person's name
    assert [c["principal_name"] for c in listed.json()["items"]] == [None]
