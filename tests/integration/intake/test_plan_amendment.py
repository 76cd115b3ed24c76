"""Amending an approved plan through intake (issue 15, point 2): by the API and on the case page, a
caseworker proposes and a supervisor who did not propose it approves; ReintegrationPlanAmended is
published once, with the plan as amended and what it was."""

from __future__ import annotations

import pytest

from services.intake.core.catalogue import load_catalogue
from services.intake.use_cases.case_changes import amendments_awaiting
from services.intake.use_cases.context import IntakeContext
from shared.events.intake import ReintegrationPlanAmended
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes
from tests.integration.intake.test_case_changes import registered
from tests.support import TEST_PASSWORD, add_person, problem_fields, sign_in

pytestmark = pytest.mark.integration

PLAN = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}}]}
AMENDED = {
    "assistance": [
        {"assistance_type": "cash", "requested": {"amount": 80_000, "currency": "EUR"}},
        {"assistance_type": "housing", "requested": {"amount": 50_000, "currency": "EUR"}},
    ],
    "note": "the landlord wants a deposit",
}


async def approved_case(intake: IntakeUnderTest) -> str:
    case = await registered(intake)
    url = f"/v1/cases/{case['id']}"
    assert (
        await intake.client.post(f"{url}/plan", json=PLAN, headers=intake.auth(Role.CASEWORKER))
    ).status_code == 200
    approved = await intake.client.post(f"{url}/plan/approve", headers=intake.auth(Role.SUPERVISOR))
    assert approved.status_code == 200, approved.text
    return str(case["id"])


async def test_a_caseworker_proposes_and_a_supervisor_approves_an_amendment(intake: IntakeUnderTest) -> None:
    case_id = await approved_case(intake)
    url = f"/v1/cases/{case_id}/plan/amendment"
    caseworker, supervisor = intake.auth(Role.CASEWORKER), intake.auth(Role.SUPERVISOR)
    wrong_currency = {
        "assistance": [{"assistance_type": "cash", "requested": {"amount": 1, "currency": "CHF"}}]
    }

    bad = await intake.client.post(url, json=wrong_currency, headers=caseworker)
    proposed = await intake.client.post(url, json=AMENDED, headers=caseworker)
    by_caseworker = await intake.client.post(f"{url}/approve", headers=caseworker)
    approved = await intake.client.post(
        f"{url}/approve", json={"amendment_id": proposed.json()["amendment"]["id"]}, headers=supervisor
    )
    again = await intake.client.post(f"{url}/approve", headers=supervisor)

    assert bad.status_code == 422
    assert problem_fields(bad) == ["assistance.0.requested.currency"]
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["plan"]["assistance"] == PLAN["assistance"]  # the approved plan stands
    assert by_caseworker.status_code == 403
    assert approved.status_code == 200, approved.text
    assert approved.json()["plan"]["assistance"] == AMENDED["assistance"]
    assert approved.json()["amendment"] is None
    assert again.status_code == 409
    published = await envelopes(intake, case_id)
    assert [e.type for e in published][-1] == "ReintegrationPlanAmended"
    event = published[-1].event_as(ReintegrationPlanAmended)
    assert [a.requested.amount for a in event.previous] == [100_000]
    assert [a.requested.amount for a in event.assistance] == [80_000, 50_000]
    assert "deposit" not in published[-1].to_bytes().decode()


async def test_on_the_case_page_the_proposer_cannot_approve_and_another_supervisor_can(
    intake: IntakeUnderTest,
) -> None:
    case_id = await approved_case(intake)
    page = f"/cases/{case_id}"
    proposer = await intake.page(Role.SUPERVISOR)
    await add_person(intake.identity, "second-supervisor", Role.SUPERVISOR)
    other = await sign_in(intake.client, "second-supervisor", TEST_PASSWORD)
    origin = {"Origin": "http://intake.test"}

    empty = await intake.client.post(
        f"{page}/plan/amendment", data={"amount-cash": "1000.50"}, headers=proposer | origin
    )
    assert empty.status_code == 303, empty.text
    shown = await intake.client.get(page, headers=proposer)
    assert "You proposed this amendment" in shown.text
    assert 'action="/cases/' + case_id + '/plan/amendment/approve"' not in shown.text
    refused = await intake.client.post(f"{page}/plan/amendment/approve", data={}, headers=proposer | origin)
    assert refused.status_code == 409
    assert "another supervisor must approve it" in refused.text

    to_approve = await intake.client.get(page, headers=other)
    assert "Approve amendment" in to_approve.text
    approved = await intake.client.post(f"{page}/plan/amendment/approve", data={}, headers=other | origin)
    assert approved.status_code == 303, approved.text
    event = (await envelopes(intake, case_id))[-1].event_as(ReintegrationPlanAmended)
    assert [a.requested.amount for a in event.assistance] == [100_050]


async def test_the_supervisors_queue_lists_the_amendments_waiting_within_their_scope(
    intake: IntakeUnderTest,
) -> None:
    context = IntakeContext(intake.pool, intake.topics, load_catalogue(intake.settings.config_dir))
    case_id = await approved_case(intake)
    url = f"/v1/cases/{case_id}/plan/amendment"
    await intake.client.post(url, json=AMENDED, headers=intake.auth(Role.CASEWORKER))
    elsewhere, _ = await add_person(intake.identity, "nl-supervisor", Role.SUPERVISOR, programmes=["NL-AVRR"])

    waiting = [c.id for c in await amendments_awaiting(context, intake.users[Role.SUPERVISOR])]
    other_programme = [c.id for c in await amendments_awaiting(context, elsewhere)]
    await intake.client.post(f"{url}/approve", headers=intake.auth(Role.SUPERVISOR))
    after = [c.id for c in await amendments_awaiting(context, intake.users[Role.SUPERVISOR])]

    assert str(case_id) in map(str, waiting)
    assert other_programme == []
    assert str(case_id) not in map(str, after)
