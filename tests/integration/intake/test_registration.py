"""Registering a case over the API, against the real broker and database: one event per case,
through the outbox, with no personal data; retries, bad input and likely duplicates."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import pytest

from shared.events import uuid7
from shared.events.intake import ReturneeRegistered
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, family, published, single
from tests.support import headers_of, problem_fields

pytestmark = pytest.mark.integration


async def test_one_registration_publishes_one_returnee_registered_without_personal_data(
    intake: IntakeUnderTest,
) -> None:
    body = family()
    correlation = uuid7()
    response = await intake.client.post(
        "/v1/cases", json=body, headers=intake.auth(Role.CASEWORKER, **{"X-Correlation-ID": str(correlation)})
    )

    assert response.status_code == 201, response.text
    case_id = response.json()["id"]
    assert response.headers["location"] == f"/v1/cases/{case_id}"
    records = await published(intake, case_id)
    assert len(records) == 1
    record = records[0]
    raw = record.value.decode()
    print("ReturneeRegistered as published:\n" + json.dumps(json.loads(raw), indent=2))

    envelope = json.loads(raw)
    assert envelope["type"] == "ReturneeRegistered"
    assert envelope["key"] == case_id
    assert record.key == case_id.encode()
    assert envelope["producer"] == "intake"
    assert envelope["correlation_id"] == str(correlation)
    assert headers_of(record)["event_type"] == "ReturneeRegistered"
    for member in body["members"]:  # no names, no dates of birth, no document numbers
        assert member["name"] not in raw
        assert member["name"].split()[-1] not in raw
        assert member["date_of_birth"] not in raw
    assert body["members"][0]["identity_document"]["number"] not in raw
    assert "passport" not in raw

    event = ReturneeRegistered.model_validate(envelope["data"])
    assert event.case_id == UUID(case_id)
    assert [(m.age, m.relationship) for m in event.household] == [
        (34, "principal"),
        (9, "child"),
        (4, "child"),
    ]
    assert event.programme_id == "DE-STARTHILFEPLUS"
    assert event.municipality == "skopje"
    assert event.consent == {"housing": True, "education": True, "medical": False}
    assert event.registered_by == str(intake.users[Role.CASEWORKER].id)
    assert response.json()["registered_by"] == str(intake.users[Role.CASEWORKER].id)


async def test_a_retried_registration_with_the_same_idempotency_key_makes_one_case_and_one_event(
    intake: IntakeUnderTest,
) -> None:
    body = family()
    headers = intake.auth(Role.CASEWORKER, **{"Idempotency-Key": str(uuid7())})

    first = await intake.client.post("/v1/cases", json=body, headers=headers)
    retry = await intake.client.post("/v1/cases", json=body, headers=headers)

    assert first.status_code == retry.status_code == 201
    case_id = first.json()["id"]
    assert retry.json()["id"] == case_id
    assert retry.headers["idempotent-replayed"] == "true"
    name = body["members"][0]["name"]
    assert (
        await intake.count("SELECT count(*) FROM cases WHERE search_text LIKE $1", f"%{name.lower()}%") == 1
    )
    assert [e.type for e in await envelopes(intake, case_id)] == ["ReturneeRegistered"]


async def test_two_concurrent_requests_with_one_idempotency_key_make_one_case(
    intake: IntakeUnderTest,
) -> None:
    body = family()
    headers = intake.auth(Role.CASEWORKER, **{"Idempotency-Key": str(uuid7())})

    first, second = await asyncio.gather(
        intake.client.post("/v1/cases", json=body, headers=headers),
        intake.client.post("/v1/cases", json=body, headers=headers),
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert [e.type for e in await envelopes(intake, first.json()["id"])] == ["ReturneeRegistered"]


async def test_the_same_idempotency_key_with_a_different_body_is_refused(intake: IntakeUnderTest) -> None:
    headers = intake.auth(Role.CASEWORKER, **{"Idempotency-Key": "key-reused-" + str(uuid7())})
    first = await intake.client.post("/v1/cases", json=single(), headers=headers)
    assert first.status_code == 201

    other = await intake.client.post("/v1/cases", json=single(), headers=headers)

    assert other.status_code == 422
    assert problem_fields(other) == ["header.Idempotency-Key"]


async def test_a_bad_registration_names_every_bad_field_and_stores_nothing(intake: IntakeUnderTest) -> None:
    body = family(programme_id="XX-NOPE", municipality="paris", arrival_date="2999-01-01")
    body["members"][1]["date_of_birth"] = "2999-01-01"
    body["members"][2]["sex"] = "unknown"
    del body["sending_country"]
    body["favourite_colour"] = "blue"
    cases_before = await intake.count("SELECT count(*) FROM cases")
    outbox_before = await intake.count("SELECT count(*) FROM outbox")

    response = await intake.client.post("/v1/cases", json=body, headers=intake.auth(Role.CASEWORKER))

    assert response.status_code == 422
    fields = sorted(problem_fields(response))
    assert fields == [
        "arrival_date",
        "favourite_colour",
        "members.1.date_of_birth",
        "members.2.sex",
        "municipality",
        "programme_id",
        "sending_country",
    ]
    assert await intake.count("SELECT count(*) FROM cases") == cases_before
    assert await intake.count("SELECT count(*) FROM outbox") == outbox_before


async def test_household_rules_answer_422_and_store_nothing(intake: IntakeUnderTest) -> None:
    body = family(vulnerabilities=["unaccompanied_minor"])  # the principal is 34
    body["members"][2]["relationship"] = "principal"
    outbox_before = await intake.count("SELECT count(*) FROM outbox")

    response = await intake.client.post("/v1/cases", json=body, headers=intake.auth(Role.CASEWORKER))

    assert response.status_code == 422
    assert problem_fields(response) == ["members.2.relationship"]
    body["members"][2]["relationship"] = "child"
    response = await intake.client.post("/v1/cases", json=body, headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 422
    assert [e["detail"] for e in response.json()["errors"]] == [
        "an unaccompanied minor must be under 18; the principal is 34"
    ]
    assert await intake.count("SELECT count(*) FROM outbox") == outbox_before


async def test_a_likely_duplicate_answers_409_with_the_existing_case_unless_confirmed(
    intake: IntakeUnderTest,
) -> None:
    first = await intake.client.post("/v1/cases", json=single(), headers=intake.auth(Role.CASEWORKER))
    existing = first.json()
    person = existing["members"][0]
    again = single(name=person["name"].upper().replace(" ", "  "))  # same person, typed differently
    again["members"][0]["date_of_birth"] = person["date_of_birth"]

    duplicate = await intake.client.post("/v1/cases", json=again, headers=intake.auth(Role.CASEWORKER))
    in_other_programme = await intake.client.post(
        "/v1/cases", json=again | {"programme_id": "NL-AVRR"}, headers=intake.auth(Role.CASEWORKER)
    )
    confirmed = await intake.client.post(
        "/v1/cases", json=again | {"confirm_distinct_person": True}, headers=intake.auth(Role.SUPERVISOR)
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["existing_case_id"] == existing["id"]
    [candidate] = duplicate.json()["candidates"]
    assert candidate == {
        "member": 0,
        "case_id": existing["id"],
        "case_member": 0,
        "score": 1.0,
        "reasons": ["same name", "same date of birth"],
    }
    assert in_other_programme.status_code == 201
    assert confirmed.status_code == 201
    assert confirmed.json()["id"] != existing["id"]


async def test_reading_a_case_and_the_list(intake: IntakeUnderTest) -> None:
    created = [
        (
            await intake.client.post(
                "/v1/cases", json=single(municipality="ohrid"), headers=intake.auth(Role.CASEWORKER)
            )
        ).json()
        for _ in range(3)
    ]
    caseworker = intake.auth(Role.CASEWORKER)

    one = await intake.client.get(f"/v1/cases/{created[0]['id']}", headers=caseworker)
    missing = await intake.client.get(f"/v1/cases/{uuid7()}", headers=caseworker)
    first_page = await intake.client.get("/v1/cases?municipality=ohrid&limit=2", headers=caseworker)
    cursor = first_page.json()["next_cursor"]
    second_page = await intake.client.get(
        f"/v1/cases?municipality=ohrid&limit=2&cursor={cursor}", headers=caseworker
    )
    by_name = await intake.client.get(
        "/v1/cases", params={"q": created[1]["members"][0]["name"]}, headers=caseworker
    )
    bad_filter = await intake.client.get("/v1/cases?status=lost&limit=0", headers=caseworker)

    assert one.status_code == 200
    assert one.json() == created[0]
    assert missing.status_code == 404
    newest_first = [c["id"] for c in reversed(created)]
    assert [c["id"] for c in first_page.json()["items"]] == newest_first[:2]
    assert [c["id"] for c in second_page.json()["items"]] == newest_first[2:]
    assert second_page.json()["next_cursor"] is None
    assert [c["id"] for c in by_name.json()["items"]] == [created[1]["id"]]
    assert by_name.json()["items"][0]["principal_name"] == created[1]["members"][0]["name"]
    assert bad_filter.status_code == 422
    assert sorted(problem_fields(bad_filter)) == ["query.limit", "query.status"]
