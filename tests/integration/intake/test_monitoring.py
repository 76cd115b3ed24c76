"""Monitoring visits in intake (issue 14, point 1): a visit is scored, stored, published as codes
and scores, and access-logged; the visits due and overdue are listed within the caseworker's scope
(API and page); a re-migrated returnee, a closed or an erased case has none; erasure keeps a
visit's codes and scores and its month, not its day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from services.intake.core.catalogue import load_catalogue
from services.intake.core.monitoring import score
from services.intake.core.visits import add_months
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.privacy import erase_case, export_case
from shared.events.codes import ErasureReason
from shared.identity.model import Role
from shared.privacy import RETENTION_JOB, Actor
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, single, today
from tests.support import add_person, problem_fields

pytestmark = pytest.mark.integration


def survey(intake: IntakeUnderTest) -> Any:
    catalogue = load_catalogue(intake.settings.config_dir)
    assert catalogue.survey is not None
    return catalogue.survey


def answers(intake: IntakeUnderTest, best: bool = True, **given: str) -> dict[str, str]:
    return {i.code: list(i.answers)[-1 if best else 0] for i in survey(intake).indicators} | given


def report(intake: IntakeUnderTest, days_ago: int = 1, **overrides: Any) -> dict[str, Any]:
    return {
        "visited_on": (today() - timedelta(days=days_ago)).isoformat(),
        "answers": answers(intake, debt="debts_smaller", wellbeing="occasional"),
        "business_operating": True,
        "in_municipality": True,
        "re_migrated": False,
    } | overrides


async def registered(intake: IntakeUnderTest, arrived_days_ago: int, programme: str = "NL-AVRR") -> str:
    arrival = (today() - timedelta(days=arrived_days_ago)).isoformat()
    response = await intake.client.post(
        "/v1/cases",
        json=single(programme_id=programme, arrival_date=arrival),
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["id"]
    return case_id


async def due(
    intake: IntakeUnderTest, role: Role = Role.CASEWORKER, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else intake.auth(role)
    response = await intake.client.get("/v1/monitoring/due", headers=headers)
    assert response.status_code == 200, response.text
    return {v["case_id"]: v for v in response.json()}


async def record(
    intake: IntakeUnderTest, case_id: str, body: dict[str, Any], role: Role = Role.CASEWORKER
) -> Any:
    return await intake.client.post(
        f"/v1/cases/{case_id}/monitoring-visits", json=body, headers=intake.auth(role)
    )


async def actions(intake: IntakeUnderTest, case_id: str) -> list[tuple[str, str]]:
    response = await intake.client.get(f"/v1/cases/{case_id}/access-log", headers=intake.auth(Role.DPO))
    assert response.status_code == 200, response.text
    return [(e["role"], e["action"]) for e in response.json()["entries"]]


async def test_a_visit_is_scored_published_as_codes_and_scores_and_access_logged(
    intake: IntakeUnderTest,
) -> None:
    case_id = await registered(intake, arrived_days_ago=95)
    listed = (await due(intake))[case_id]
    arrival = today() - timedelta(days=95)
    assert (listed["visit_number"], listed["month"], listed["due_on"], listed["overdue"]) == (
        1,
        3,
        add_months(arrival, 3).isoformat(),
        False,
    )

    body = report(intake)
    response = await record(intake, case_id, body)
    assert response.status_code == 201, response.text
    visit = response.json()
    expected = score(survey(intake), body["answers"])
    assert (visit["visit_number"], visit["scheduled_month"]) == (1, 3)
    assert visit["composite"] == pytest.approx(expected.composite)
    assert 0 < visit["composite"] < 1
    assert visit["dimension_scores"] == pytest.approx({d.value: s for d, s in expected.dimensions.items()})
    assert case_id not in await due(intake)  # the 6-month visit's window has not opened

    published = [e for e in await envelopes(intake, case_id) if e.type == "MonitoringVisitRecorded"]
    assert len(published) == 1
    data = published[0].data
    assert set(data) == {
        "case_id", "programme_id", "visit_id", "visit_number", "scheduled_month", "visited_on", "survey",
        "answers", "indicator_scores", "dimension_scores", "composite", "business_operating",
        "in_municipality", "re_migrated", "recorded_by",
    }  # fmt: skip
    assert data["answers"] == body["answers"]  # codes of the survey, no words
    assert data["composite"] == round(expected.composite, 4)
    assert (data["business_operating"], data["in_municipality"], data["re_migrated"]) == (True, True, False)

    read = await intake.client.get(
        f"/v1/cases/{case_id}/monitoring-visits", headers=intake.auth(Role.SUPERVISOR)
    )
    assert [v["id"] for v in read.json()] == [visit["id"]]
    log = await actions(intake, case_id)
    assert ("caseworker", "list") in log  # listed as due
    assert ("caseworker", "monitor") in log  # the visit recorded
    assert ("supervisor", "read") in log  # its visits read


async def test_a_bad_report_is_refused_naming_every_field(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake, arrived_days_ago=95)
    wrong = answers(intake, debt="huge", mood="fine")
    del wrong["housing"]
    response = await record(
        intake,
        case_id,
        report(intake, answers=wrong, visited_on=(today() + timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 422
    assert sorted(problem_fields(response)) == ["visited_on"]  # fields first, then the survey's
    response = await record(intake, case_id, report(intake, answers=wrong))
    assert sorted(problem_fields(response)) == ["answers.debt", "answers.housing", "answers.mood"]
    response = await record(intake, case_id, report(intake, re_migrated=True, in_municipality=True))
    assert response.status_code == 422
    response = await record(intake, case_id, report(intake, days_ago=96))
    assert problem_fields(response) == ["visited_on"]  # before the arrival
    response = await record(intake, case_id, report(intake, note="doing well"))
    assert problem_fields(response) == ["note"]  # no free text
    assert await intake.count("SELECT count(*) FROM monitoring_visits WHERE case_id = $1", UUID(case_id)) == 0


async def test_overdue_visits_and_a_re_migrated_returnee(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake, arrived_days_ago=400)
    listed = (await due(intake))[case_id]
    assert (listed["visit_number"], listed["overdue"]) == (1, True)
    assert (await record(intake, case_id, report(intake))).status_code == 201
    listed = (await due(intake))[case_id]
    assert (listed["visit_number"], listed["month"], listed["overdue"]) == (2, 6, True)
    gone = report(intake, answers=answers(intake, best=False), in_municipality=False, re_migrated=True)
    visit = (await record(intake, case_id, gone)).json()
    assert (visit["visit_number"], visit["composite"], visit["re_migrated"]) == (2, 0.0, True)
    assert case_id not in await due(intake)  # nobody left to visit


async def test_visits_due_are_listed_within_the_caseworkers_scope_only(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake, arrived_days_ago=95)
    identity = intake.client._transport.app.state.identity  # type: ignore[attr-defined]
    _, swiss = await add_person(identity, "cw-swiss-monitoring", Role.CASEWORKER, programmes=["CH-RKH"])
    assert case_id in await due(intake)
    assert case_id not in await due(intake, token=swiss)
    other = {"Authorization": f"Bearer {swiss}"}
    path = f"/v1/cases/{case_id}/monitoring-visits"
    assert (await intake.client.get(path, headers=other)).status_code == 404
    assert (await intake.client.post(path, json=report(intake), headers=other)).status_code == 404
    for role in (Role.AUDITOR, Role.FINANCE, Role.DPO):
        assert (await intake.client.get("/v1/monitoring/due", headers=intake.auth(role))).status_code == 403
        assert (await intake.client.get(path, headers=intake.auth(role))).status_code == 403
    page = await intake.client.get("/monitoring", headers=await intake.page(Role.CASEWORKER))
    assert page.status_code == 200
    assert case_id[-8:] in page.text
    auditor_page = await intake.client.get("/monitoring", headers=await intake.page(Role.AUDITOR))
    assert auditor_page.status_code == 403


async def test_a_closed_case_has_no_visit_due_and_takes_none(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake, arrived_days_ago=95)
    closed = await intake.client.post(
        f"/v1/cases/{case_id}/close", json={"reason": "re_migrated"}, headers=intake.auth(Role.CASEWORKER)
    )
    assert closed.status_code == 200, closed.text
    assert case_id not in await due(intake)
    assert (await record(intake, case_id, report(intake))).status_code == 409


async def test_erasure_keeps_a_visits_codes_scores_and_month_not_its_day(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake, arrived_days_ago=95)
    visit = (await record(intake, case_id, report(intake))).json()
    context = IntakeContext(intake.pool, intake.topics, load_catalogue(intake.settings.config_dir))
    exported = await export_case(context, UUID(case_id), Actor.of(intake.users[Role.DPO]))
    assert [v["id"] for v in exported["monitoring_visits"]] == [visit["id"]]
    assert exported["monitoring_visits"][0]["visited_on"] == visit["visited_on"]

    await erase_case(context, UUID(case_id), ErasureReason.RETENTION_ENDED, RETENTION_JOB)
    kept = (
        await intake.client.get(
            f"/v1/cases/{case_id}/monitoring-visits", headers=intake.auth(Role.CASEWORKER)
        )
    ).json()
    assert [(v["visited_on"], v["visited_month"], v["composite"], v["answers"]) for v in kept] == [
        (None, visit["visited_on"][:7], visit["composite"], visit["answers"])
    ]
    assert (await record(intake, case_id, report(intake))).status_code == 409
