"""Duplicates a person would catch, against the real database: a registration in the other script,
with the day and month swapped, or with a document number already in another programme; the
caseworker's "different person" recorded and not raised again; the check on demand; people stored
before the matching keys found once intake has keyed them."""

from __future__ import annotations

import json
import secrets
from typing import Any

import cyrtranslit
import pytest

from services.intake.use_cases.duplicates import index_people
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, single
from tests.support import add_person

pytestmark = pytest.mark.integration


def macedonian_name() -> str:
    """A name unlike anyone else's, of letters that read back the same from Cyrillic."""
    tail = "".join(secrets.choice("abdeiklmnoprstuv") for _ in range(10))
    return f"Marija {tail.title()}"


def person(name: str, born: str, **overrides: Any) -> dict[str, Any]:
    body = single(name=name, **overrides)
    body["members"][0] |= {"date_of_birth": born, "sex": "female"}
    return body


async def register(intake: IntakeUnderTest, body: dict[str, Any], role: Role = Role.CASEWORKER) -> Any:
    return await intake.client.post("/v1/cases", json=body, headers=intake.auth(role))


async def test_a_name_in_cyrillic_surname_first_with_day_and_month_swapped_is_caught(
    intake: IntakeUnderTest,
) -> None:
    name = macedonian_name()
    first = await register(intake, person(name, "1985-04-07"))
    assert first.status_code == 201, first.text
    in_cyrillic = " ".join(reversed(cyrtranslit.to_cyrillic(name, "mk").split()))

    again = await register(intake, person(in_cyrillic, "1985-07-04"))
    born_otherwise = await register(intake, person(in_cyrillic, "1962-11-23"))

    assert again.status_code == 409, again.text
    problem = again.json()
    assert problem["type"].endswith("likely-duplicate")
    [candidate] = problem["candidates"]
    assert candidate["case_id"] == first.json()["id"]
    assert candidate["member"] == 0
    assert candidate["case_member"] == 0
    assert 0.75 <= candidate["score"] <= 1
    assert candidate["reasons"] == [
        "name matches in another script",
        "names in another order",
        "day and month swapped",
    ]
    assert born_otherwise.status_code == 201, born_otherwise.text  # a namesake born 23 years earlier


async def test_the_same_document_number_in_another_programme_is_caught_without_naming_a_case_unseen(
    intake: IntakeUnderTest,
) -> None:
    app_identity = intake.client._transport.app.state.identity  # type: ignore[attr-defined]
    _, nl_token = await add_person(
        app_identity, f"nl-cw-{secrets.token_hex(3)}", Role.CASEWORKER, programmes=("NL-AVRR",)
    )
    document = f"MK{secrets.randbelow(10**7):07d}"
    first = await register(intake, person(macedonian_name(), "1979-09-01", document=document))
    assert first.status_code == 201, first.text

    other_name = person(macedonian_name(), "1981-02-02", document=f"mk {document[2:5]}-{document[5:]}")
    seen = await register(intake, other_name | {"programme_id": "NL-AVRR"})
    unseen = await intake.client.post(
        "/v1/cases",
        json=other_name | {"programme_id": "NL-AVRR"},
        headers={"Authorization": f"Bearer {nl_token}"},
    )

    assert seen.status_code == 409, seen.text
    [candidate] = seen.json()["candidates"]
    assert candidate["case_id"] == first.json()["id"]
    assert candidate["reasons"][0] == "same document number"
    assert candidate["score"] >= 0.9
    assert unseen.status_code == 409, unseen.text
    assert unseen.json()["existing_case_id"] is None
    [hidden] = unseen.json()["candidates"]
    assert hidden["case_id"] is None
    assert hidden["case_member"] is None
    assert hidden["reasons"][0] == "same document number"
    assert first.json()["id"] not in unseen.text


async def test_different_person_is_recorded_with_who_and_when_and_not_raised_again(
    intake: IntakeUnderTest,
) -> None:
    name = macedonian_name()
    first = (await register(intake, person(name, "1992-04-07"))).json()
    typo = name[:-2] + name[-1] + name[-2]  # the last two letters swapped

    refused = await register(intake, person(typo, "1992-04-07"))
    confirmed = await register(intake, person(typo, "1992-04-07") | {"confirm_distinct_person": True})
    assert refused.status_code == 409
    assert confirmed.status_code == 201, confirmed.text
    second = confirmed.json()

    recorded = await intake.pool.fetchrow(
        "SELECT recorded_by, recorded_at FROM distinct_people WHERE case_id = least($1::uuid, $2::uuid)"
        " AND other_case_id = greatest($1::uuid, $2::uuid)",
        first["id"],
        second["id"],
    )
    assert recorded is not None
    assert str(recorded["recorded_by"]) == str(intake.users[Role.CASEWORKER].id)

    on_demand = await intake.client.get(
        f"/v1/cases/{first['id']}/duplicates", headers=intake.auth(Role.SUPERVISOR)
    )
    assert on_demand.status_code == 200, on_demand.text
    assert on_demand.json() == {"case_id": first["id"], "candidates": []}


async def test_the_check_on_demand_and_a_different_person_from_a_case(intake: IntakeUnderTest) -> None:
    name = macedonian_name()
    first = (await register(intake, person(name, "1970-01-30"))).json()
    # a pair nobody was asked about: the second registered while the first had no keys yet
    await intake.pool.execute(
        "UPDATE case_people SET match_keys = NULL WHERE case_id = $1::uuid", first["id"]
    )
    second = (await register(intake, person(cyrtranslit.to_cyrillic(name, "mk"), "1970-01-30"))).json()
    await index_people(intake.client._transport.app.state.intake)  # type: ignore[attr-defined]

    def url(case: dict[str, Any], what: str) -> str:
        return f"/v1/cases/{case['id']}/{what}"

    found = await intake.client.get(url(first, "duplicates"), headers=intake.auth(Role.CASEWORKER))
    by_auditor = await intake.client.get(url(first, "duplicates"), headers=intake.auth(Role.AUDITOR))
    by_finance = await intake.client.get(url(first, "duplicates"), headers=intake.auth(Role.FINANCE))
    assert found.status_code == 200, found.text
    [candidate] = found.json()["candidates"]
    assert candidate["case_id"] == second["id"]
    assert candidate["score"] == 1.0
    assert candidate["reasons"] == ["name matches in another script", "same date of birth"]
    assert by_auditor.status_code == 403
    assert by_finance.status_code == 403

    distinct = await intake.client.post(
        url(first, "distinct"), json={"other_case_id": second["id"]}, headers=intake.auth(Role.SUPERVISOR)
    )
    itself = await intake.client.post(
        url(first, "distinct"), json={"other_case_id": first["id"]}, headers=intake.auth(Role.CASEWORKER)
    )
    after = await intake.client.get(url(first, "duplicates"), headers=intake.auth(Role.CASEWORKER))
    from_the_other = await intake.client.get(url(second, "duplicates"), headers=intake.auth(Role.CASEWORKER))
    assert distinct.status_code == 200, distinct.text
    [pair] = distinct.json()["distinct_from"]
    assert pair["other_case_id"] == second["id"]
    assert pair["recorded_by"] == str(intake.users[Role.SUPERVISOR].id)
    assert itself.status_code == 422
    assert after.json()["candidates"] == []
    assert from_the_other.json()["candidates"] == []
    logged = await intake.count(
        "SELECT count(*) FROM access_log WHERE action = 'match' AND case_id = $1::uuid", second["id"]
    )
    assert logged == 1


async def test_people_stored_before_the_keys_are_found_once_keyed(intake: IntakeUnderTest) -> None:
    name = macedonian_name()
    first = (await register(intake, person(name, "1968-06-06"))).json()
    await intake.pool.execute(
        "UPDATE case_people SET match_keys = NULL WHERE case_id = $1::uuid", first["id"]
    )

    unkeyed = await register(intake, person(name, "1968-06-06"))
    assert unkeyed.status_code == 201  # not found: the store never scans every case
    keyed = await index_people(intake.client._transport.app.state.intake)  # type: ignore[attr-defined]
    again = await register(intake, person(name, "1968-06-06"))

    assert keyed >= 1
    assert again.status_code == 409
    assert {c["case_id"] for c in again.json()["candidates"]} == {first["id"], unkeyed.json()["id"]}


async def test_the_registration_form_shows_the_score_and_the_reasons(intake: IntakeUnderTest) -> None:
    name = macedonian_name()
    await register(intake, person(name, "1999-05-02"))
    signed_in = await intake.page(Role.CASEWORKER)
    page = await intake.client.get("/cases/new", headers=signed_in)
    assert page.status_code == 200
    body = person(" ".join(reversed(name.split())), "1999-02-05")
    member = body["members"][0]
    form = {
        "idempotency_key": secrets.token_hex(8),
        "member_count": "1",
        "programme_id": body["programme_id"],
        "country_of_return": body["country_of_return"],
        "municipality": body["municipality"],
        "sending_country": body["sending_country"],
        "arrival_date": body["arrival_date"],
        "members-0-name": member["name"],
        "members-0-date_of_birth": member["date_of_birth"],
        "members-0-sex": member["sex"],
        "members-0-relationship": "principal",
        "action": "register",
    }
    answer = await intake.client.post("/cases/new", data=form, headers=signed_in)
    assert answer.status_code == 409, answer.text
    assert "This may be someone already registered" in answer.text
    assert "names in another order" in answer.text
    assert "day and month swapped" in answer.text
    assert '<td class="score">96%</td>' in answer.text  # names reordered, day and month swapped
    assert 'name="confirm_distinct_person"' in answer.text


async def test_an_announcement_merged_into_the_case_of_the_family_is_closed_and_says_so(
    intake: IntakeUnderTest,
) -> None:
    name = macedonian_name()
    announced = (await register(intake, person(cyrtranslit.to_cyrillic(name, "mk"), "1988-02-06"))).json()
    walked_in = (
        await register(intake, person(name, "1988-06-02") | {"confirm_distinct_person": True})
    ).json()
    stranger = (await register(intake, person(macedonian_name(), "1950-05-05"))).json()
    merge = f"/v1/cases/{walked_in['id']}/merge"

    unrelated = await intake.client.post(
        merge, json={"announcement_id": stranger["id"]}, headers=intake.auth(Role.CASEWORKER)
    )
    by_auditor = await intake.client.post(
        merge, json={"announcement_id": announced["id"]}, headers=intake.auth(Role.AUDITOR)
    )
    merged = await intake.client.post(
        merge, json={"announcement_id": announced["id"]}, headers=intake.auth(Role.CASEWORKER)
    )
    twice = await intake.client.post(
        merge, json={"announcement_id": announced["id"]}, headers=intake.auth(Role.CASEWORKER)
    )
    announcement = await intake.client.get(
        f"/v1/cases/{announced['id']}", headers=intake.auth(Role.CASEWORKER)
    )

    assert unrelated.status_code == 409, unrelated.text
    assert by_auditor.status_code == 403
    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_from"] == [announced["id"]]
    assert merged.json()["status"] == "registered"
    assert twice.status_code == 409
    assert announcement.json()["status"] == "closed"
    assert announcement.json()["merged_into"] == walked_in["id"]
    assert announcement.json()["closure"]["reason"] == "other"

    stays = await envelopes(intake, walked_in["id"])
    [event] = [e for e in stays if e.type == "AnnouncementMerged"]
    assert event.data == {
        "case_id": walked_in["id"],
        "announcement_id": announced["id"],
        "merged_by": str(intake.users[Role.CASEWORKER].id),
    }
    assert name not in json.dumps(event.data)
    assert [e.type for e in await envelopes(intake, announced["id"])][-1] == "CaseClosed"
    # the merged announcement is the case now: it is not raised again
    third = await register(intake, person(name, "1988-02-06"))
    assert third.status_code == 409
    assert {c["case_id"] for c in third.json()["candidates"]} == {walked_in["id"]}


async def test_the_duplicates_page_shows_candidates_and_takes_the_caseworkers_answer(
    intake: IntakeUnderTest,
) -> None:
    name = macedonian_name()
    first = (await register(intake, person(name, "1993-08-08"))).json()
    await intake.pool.execute(
        "UPDATE case_people SET match_keys = NULL WHERE case_id = $1::uuid", first["id"]
    )
    twin = (await register(intake, person(name, "1993-08-08"))).json()
    # the twin is found (and confirmed other) but not the keyless first: two pairs nobody answered
    again = (
        await register(intake, person(name.upper(), "1993-08-08") | {"confirm_distinct_person": True})
    ).json()
    await index_people(intake.client._transport.app.state.intake)  # type: ignore[attr-defined]
    signed_in = await intake.page(Role.CASEWORKER)
    page = f"/cases/{first['id']}/duplicates"

    shown = await intake.client.get(page, headers=signed_in)
    by_auditor = await intake.client.get(page, headers=await intake.page(Role.AUDITOR))
    assert shown.status_code == 200
    assert shown.text.count('class="candidate"') == 2
    assert '<td class="score">100%</td>' in shown.text
    assert by_auditor.status_code == 403

    distinct = await intake.client.post(
        page, data={"other_case_id": twin["id"], "action": "distinct"}, headers=signed_in
    )
    merged = await intake.client.post(
        page, data={"other_case_id": again["id"], "action": "merge"}, headers=signed_in
    )
    after = await intake.client.get(page, headers=signed_in)
    case_page = await intake.client.get(f"/cases/{again['id']}", headers=signed_in)

    assert distinct.status_code == 303
    assert merged.status_code == 303
    assert "Nobody in another case is likely someone in this one." in after.text
    assert f"/cases/{first['id']}" in case_page.text
    assert "Merged into" in case_page.text
