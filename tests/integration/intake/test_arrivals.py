"""Announced returns over intake's API, on the real broker and database: a sending mission
announces within its programmes only and sees nothing of another's; each step publishes its event
without personal data; the arrival date becomes the confirmed day; a missed arrival ends the case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.core.catalogue import load_catalogue
from services.intake.use_cases import arrivals
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.privacy import erase_case
from shared.events.codes import ErasureReason
from shared.identity.model import Role
from shared.privacy import RETENTION_JOB
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, family
from tests.support import add_person, problem_fields

pytestmark = pytest.mark.integration

PROGRAMME_A, PROGRAMME_B = "DE-STARTHILFEPLUS", "NL-AVRR"


def announcement(programme: str = PROGRAMME_A, hours_ahead: float = 72, **overrides: Any) -> dict[str, Any]:
    body = family(programme_id=programme)
    del body["arrival_date"]
    if programme == PROGRAMME_B:
        body["sending_country"] = "NL"
    scheduled = datetime.now(UTC) + timedelta(hours=hours_ahead)
    body |= {
        "mode": "flight",
        "carrier": "Wizz Air",
        "number": "W6 4321",
        "arrival_point": "SKP",
        "scheduled_at": scheduled.isoformat(timespec="seconds"),
        "special_assistance": ["wheelchair"],
        "needs": ["airport_reception", "transport", "housing", "education"],
        "consent": {"airport_reception": True, "transport": True, "housing": True, "education": True},
    }
    return body | overrides


async def mission(intake: IntakeUnderTest, programme: str) -> dict[str, str]:
    _, token = await add_person(
        intake.identity,
        f"mission-{programme.lower()}-{uuid4().hex[:8]}",
        Role.SENDING_MISSION,
        programmes=[programme],
    )
    return {"Authorization": f"Bearer {token}"}


def personal_data(body: dict[str, Any]) -> list[bytes]:
    out = []
    for member in body["members"]:
        out += [member["name"].encode(), member["date_of_birth"].encode()]
        out += [part.encode() for part in member["name"].split()]
        if member.get("identity_document"):
            out.append(member["identity_document"]["number"].encode())
    return out


async def test_a_mission_announces_within_its_programme_and_sees_nothing_of_another(
    intake: IntakeUnderTest,
) -> None:
    mission_a = await mission(intake, PROGRAMME_A)
    ours = await intake.client.post("/v1/arrivals", json=announcement(PROGRAMME_A), headers=mission_a)
    assert ours.status_code == 201, ours.text
    assert ours.json()["status"] == "expected"
    assert len(ours.json()["trip"]["meeting_code"]) == 7
    # programme B's family, announced by a caseworker of every programme
    theirs = await intake.client.post(
        "/v1/arrivals", json=announcement(PROGRAMME_B), headers=intake.auth(Role.CASEWORKER)
    )
    assert theirs.status_code == 201, theirs.text
    b_id = theirs.json()["case_id"]

    refused = await intake.client.post("/v1/arrivals", json=announcement(PROGRAMME_B), headers=mission_a)
    assert refused.status_code == 422
    assert "programme_id" in problem_fields(refused)

    listed = await intake.client.get("/v1/arrivals", params={"days": 5}, headers=mission_a)
    assert listed.status_code == 200, listed.text
    ids = {a["case_id"] for a in listed.json()["items"]}
    assert ours.json()["case_id"] in ids
    assert b_id not in ids
    assert {a["programme_id"] for a in listed.json()["items"]} == {PROGRAMME_A}
    for path, verb, body in (
        (f"/v1/arrivals/{b_id}", "GET", None),
        (f"/v1/arrivals/{b_id}/cancel", "POST", {"reason": "other"}),
        (
            f"/v1/arrivals/{b_id}/reschedule",
            "POST",
            {k: announcement()[k] for k in ("mode", "carrier", "number", "arrival_point", "scheduled_at")},
        ),
    ):
        response = await intake.client.request(verb, path, json=body, headers=mission_a)
        assert response.status_code == 404, (path, response.text)
    # a mission reads no case, no timeline and may not confirm an arrival
    for path in ("/v1/cases", f"/v1/cases/{ours.json()['case_id']}", f"/v1/cases/{b_id}"):
        assert (await intake.client.get(path, headers=mission_a)).status_code == 403, path
    confirm = {
        "arrived_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "met_by": "office_reception_team",
    }
    forbidden = await intake.client.post(
        f"/v1/arrivals/{ours.json()['case_id']}/confirm", json=confirm, headers=mission_a
    )
    assert forbidden.status_code == 403


async def test_announce_reschedule_confirm_publish_their_events_without_personal_data(
    intake: IntakeUnderTest,
) -> None:
    body = announcement(hours_ahead=72)
    announced = await intake.client.post("/v1/arrivals", json=body, headers=intake.auth(Role.CASEWORKER))
    assert announced.status_code == 201, announced.text
    case_id = announced.json()["case_id"]
    later = datetime.now(UTC) + timedelta(hours=96)
    trip = {
        "mode": "flight",
        "carrier": "Wizz Air",
        "number": "W6 4399",
        "arrival_point": "SKP",
        "scheduled_at": later.isoformat(timespec="seconds"),
        "special_assistance": ["wheelchair"],
    }
    moved = await intake.client.post(
        f"/v1/arrivals/{case_id}/reschedule", json=trip, headers=intake.auth(Role.CASEWORKER)
    )
    assert moved.status_code == 200, moved.text
    arrived_at = datetime.now(UTC) - timedelta(minutes=20)
    confirmed = await intake.client.post(
        f"/v1/arrivals/{case_id}/confirm",
        json={
            "arrived_at": arrived_at.isoformat(timespec="seconds"),
            "met_by": "office_reception_team",
            "not_travelled": [2],
        },
        headers=intake.auth(Role.CASEWORKER),
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "registered"
    assert confirmed.json()["household_size"] == 2

    found = await envelopes(intake, case_id)
    assert [e.type for e in found] == ["ArrivalAnnounced", "ArrivalRescheduled", "ArrivalConfirmed"]
    for envelope in found:
        raw = envelope.to_bytes()
        for personal in personal_data(body):
            assert personal not in raw, f"{personal!r} in {envelope.type}"
    announced_data, rescheduled_data, confirmed_data = (e.data for e in found)
    print(
        "the family's intake events:\n"
        + "\n".join(json.dumps({"type": e.type, "data": e.data}) for e in found)
    )
    assert announced_data["expected_arrival"]["arrival_point"] == "SKP"
    assert announced_data["expected_arrival"]["special_assistance"] == ["wheelchair"]
    assert rescheduled_data["expected_arrival"]["number"] == "W6 4399"
    assert confirmed_data["expected_arrival"] is None
    # the confirmed day at the arrival point (Europe/Skopje), not the announced one
    skopje = load_catalogue(intake.settings.config_dir).arrival_points["SKP"].zone
    assert confirmed_data["arrival_date"] == arrived_at.astimezone(skopje).date().isoformat()
    assert announced_data["arrival_date"] != confirmed_data["arrival_date"]
    assert len(confirmed_data["household"]) == 2
    assert confirmed_data["members_not_travelled"] == 1

    case = (await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.CASEWORKER))).json()
    assert case["arrival_date"] == confirmed_data["arrival_date"]
    again = await intake.client.post(
        f"/v1/arrivals/{case_id}/confirm",
        json={"arrived_at": arrived_at.isoformat(timespec="seconds"), "met_by": "office_reception_team"},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert again.status_code == 409


async def test_an_arrival_in_the_past_or_at_an_unknown_point_is_refused_naming_the_fields(
    intake: IntakeUnderTest,
) -> None:
    body = announcement(hours_ahead=-1, arrival_point="LHR")
    response = await intake.client.post("/v1/arrivals", json=body, headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 422
    assert {"scheduled_at", "arrival_point"} <= set(problem_fields(response))
    naive = announcement(scheduled_at="2030-01-01T10:00:00")
    response = await intake.client.post("/v1/arrivals", json=naive, headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 422
    assert "scheduled_at" in problem_fields(response)


async def test_an_arrival_nobody_confirms_is_missed_after_the_grace_period_and_the_case_ends(
    intake: IntakeUnderTest,
) -> None:
    body = announcement(hours_ahead=2)
    announced = await intake.client.post("/v1/arrivals", json=body, headers=intake.auth(Role.CASEWORKER))
    case_id = announced.json()["case_id"]
    context = IntakeContext(intake.pool, intake.topics, load_catalogue(intake.settings.config_dir))
    grace = timedelta(hours=1)
    await arrivals.mark_missed(context, grace)
    status = (
        await intake.client.get(f"/v1/arrivals/{case_id}", headers=intake.auth(Role.CASEWORKER))
    ).json()["status"]
    assert status == "expected"  # not yet: 2 h ahead

    later = IntakeContext(
        intake.pool,
        intake.topics,
        context.catalogue,
        clock=lambda: datetime.now(UTC) + timedelta(hours=3, minutes=1),
    )
    await arrivals.mark_missed(later, grace)
    case = (await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.CASEWORKER))).json()
    assert case["status"] == "arrival_missed"
    assert [e.type for e in await envelopes(intake, case_id)] == ["ArrivalAnnounced", "ArrivalMissed"]
    plan = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 100, "currency": "EUR"}}]}
    refused = await intake.client.post(
        f"/v1/cases/{case_id}/plan", json=plan, headers=intake.auth(Role.CASEWORKER)
    )
    assert refused.status_code == 409
    logged = await intake.count(
        "SELECT count(*) FROM access_log WHERE case_id = $1 AND action = 'miss_arrival'", UUID(case_id)
    )
    assert logged == 1


async def test_a_missed_arrival_is_erased_when_its_retention_ends_without_a_closure_first(
    intake: IntakeUnderTest,
) -> None:
    body = announcement(hours_ahead=1)
    announced = await intake.client.post("/v1/arrivals", json=body, headers=intake.auth(Role.CASEWORKER))
    case_id = UUID(announced.json()["case_id"])
    catalogue = load_catalogue(intake.settings.config_dir)
    later = IntakeContext(
        intake.pool, intake.topics, catalogue, clock=lambda: datetime.now(UTC) + timedelta(hours=2)
    )
    await arrivals.mark_missed(later, timedelta(0))
    gone = await erase_case(later, case_id, ErasureReason.RETENTION_ENDED, RETENTION_JOB)
    assert gone.status.value == "arrival_missed"
    assert gone.closed_at is not None
    types = [e.type for e in await envelopes(intake, case_id)]
    assert types == ["ArrivalAnnounced", "ArrivalMissed", "PersonalDataErased"]  # no CaseClosed
    document = await intake.pool.fetchval("SELECT document::text FROM cases WHERE id = $1", case_id)
    for personal in personal_data(body):
        assert personal.decode() not in document
    assert "W6 4321" not in document  # nor the flight
