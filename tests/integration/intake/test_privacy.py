"""Intake's access log, erasure and retention, over its API and pages on the real database and
broker: every read and write of a case's personal data leaves a row the data-protection officer
reads per case and per user; an erased case keeps ids and codes only and takes no change; the
purge erases a case only once its programme's retention period after closure is over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.core.catalogue import load_catalogue
from services.intake.core.retention import load_retention
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.privacy import erase_case, purge
from shared.events import new_envelope
from shared.events.codes import ErasureReason
from shared.events.referral import ReferralStatusChanged
from shared.identity.model import Role
from shared.identity.store import IdentityStore
from shared.privacy import RETENTION_JOB, Actor
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import envelopes, family
from tests.support import TEST_PASSWORD, add_person, eventually, problem_fields, publish, sign_in

pytestmark = pytest.mark.integration


def context(intake: IntakeUnderTest) -> IntakeContext:
    return IntakeContext(intake.pool, intake.topics, load_catalogue(intake.settings.config_dir))


async def registered(intake: IntakeUnderTest, **overrides: Any) -> dict[str, Any]:
    response = await intake.client.post(
        "/v1/cases", json=family(**overrides), headers=intake.auth(Role.CASEWORKER)
    )
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def access_log(intake: IntakeUnderTest, case_id: str) -> list[dict[str, Any]]:
    response = await intake.client.get(f"/v1/cases/{case_id}/access-log", headers=intake.auth(Role.DPO))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


async def test_every_read_and_write_leaves_a_row_with_who_what_and_why(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    case_id = case["id"]
    assessment = {
        "needs": ["housing"],
        "vulnerabilities": ["single_parent"],
        "urgency": "high",
        "urgency_reason": "no_shelter",
    }
    assert (
        await intake.client.post(
            f"/v1/cases/{case_id}/assessment", json=assessment, headers=intake.auth(Role.CASEWORKER)
        )
    ).status_code == 200
    assert (
        await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.AUDITOR))
    ).status_code == 200
    assert (
        await intake.client.get(f"/v1/cases/{case_id}/timeline", headers=intake.auth(Role.SUPERVISOR))
    ).status_code == 200
    listed = await intake.client.get(
        "/v1/cases", params={"q": case_id[:13]}, headers=intake.auth(Role.FINANCE)
    )
    assert [c["id"] for c in listed.json()["items"]] == [case_id]
    page = await intake.client.get(f"/cases/{case_id}", headers=await intake.page(Role.SUPERVISOR))
    assert page.status_code == 200

    entries = await access_log(intake, case_id)
    users = intake.users
    assert [(e["actor_id"], e["role"], e["action"], e["purpose"]) for e in entries] == [
        (str(users[Role.CASEWORKER].id), "caseworker", "register", "case_management"),
        (str(users[Role.CASEWORKER].id), "caseworker", "assess", "case_management"),
        (str(users[Role.AUDITOR].id), "auditor", "read", "audit"),
        (str(users[Role.SUPERVISOR].id), "supervisor", "timeline", "case_management"),
        (str(users[Role.FINANCE].id), "finance", "list", "grant_administration"),
        (str(users[Role.SUPERVISOR].id), "supervisor", "page", "case_management"),
    ]
    assert {e["case_id"] for e in entries} == {case_id}

    # per user: what the auditor read, across cases
    mine = await intake.client.get(
        "/v1/access-log", params={"user_id": str(users[Role.AUDITOR].id)}, headers=intake.auth(Role.DPO)
    )
    assert {(e["case_id"], e["action"]) for e in mine.json()["entries"]} >= {(case_id, "read")}
    assert {e["actor_id"] for e in mine.json()["entries"]} == {str(users[Role.AUDITOR].id)}

    # the officer's page shows the same, without the person
    officer_page = await intake.client.get(
        "/access-log",
        params={"case_id": case_id},
        headers=await intake.page(Role.DPO),
    )
    assert officer_page.status_code == 200
    assert "Register" in officer_page.text
    assert "Case management" in officer_page.text
    assert case["members"][0]["name"] not in officer_page.text


async def test_only_the_data_protection_officer_reads_the_log_and_only_in_their_programmes(
    intake: IntakeUnderTest,
) -> None:
    case_id = (await registered(intake))["id"]  # a DE-STARTHILFEPLUS case
    for role in (Role.CASEWORKER, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN):
        response = await intake.client.get(f"/v1/cases/{case_id}/access-log", headers=intake.auth(role))
        assert response.status_code == 403, role
    _, token = await IdentityStore(intake.pool, intake.settings.identity_schema).add_user(
        f"dpo-nl-{case_id[-6:]}", Role.DPO, programmes=["NL-AVRR"]
    )
    elsewhere = await intake.client.get(
        f"/v1/cases/{case_id}/access-log", headers={"Authorization": f"Bearer {token}"}
    )
    assert elsewhere.status_code == 404
    unknown = await intake.client.get(f"/v1/cases/{UUID(int=7)}/access-log", headers=intake.auth(Role.DPO))
    assert unknown.status_code == 404


async def test_a_users_accesses_are_read_within_the_officers_programmes_on_the_api_and_the_page(
    intake: IntakeUnderTest,
) -> None:
    """A supervisor of every programme reads a DE case and an NL case: the officer of NL sees the
    NL read only, per user as per case, on the API and on the page (signed in by session)."""
    theirs = (await registered(intake))["id"]  # DE-STARTHILFEPLUS
    ours = (await registered(intake, programme_id="NL-AVRR"))["id"]
    supervisor = intake.users[Role.SUPERVISOR]
    for case_id in (theirs, ours):
        read = await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.SUPERVISOR))
        assert read.status_code == 200
    identity = IdentityStore(intake.pool, intake.settings.identity_schema)
    name = f"dpo-nl-{uuid4().hex[:6]}"
    _, token = await add_person(identity, name, Role.DPO, programmes=["NL-AVRR"])
    officer = {"Authorization": f"Bearer {token}"}

    by_user = await intake.client.get(
        "/v1/access-log", params={"user_id": str(supervisor.id), "limit": "1000"}, headers=officer
    )
    assert by_user.status_code == 200, by_user.text
    cases = {e["case_id"] for e in by_user.json()["entries"]}
    assert ours in cases
    assert theirs not in cases
    page = await intake.client.get(
        "/access-log",
        params={"user_id": str(supervisor.id)},
        headers=await sign_in(intake.client, name, TEST_PASSWORD),
    )
    assert page.status_code == 200
    assert ours in page.text
    assert theirs not in page.text


async def test_a_high_or_urgent_assessment_must_say_why(intake: IntakeUnderTest) -> None:
    case_id = (await registered(intake))["id"]
    response = await intake.client.post(
        f"/v1/cases/{case_id}/assessment",
        json={"needs": ["housing"], "vulnerabilities": [], "urgency": "urgent"},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["urgency_reason"]


async def test_an_erased_case_keeps_ids_and_codes_only_and_takes_no_change(intake: IntakeUnderTest) -> None:
    case = await registered(intake)
    case_id, name = case["id"], case["members"][0]["name"]
    erased = await erase_case(
        context(intake), UUID(case_id), ErasureReason.SUBJECT_REQUEST, Actor.of(intake.users[Role.SUPERVISOR])
    )
    assert erased.status.value == "closed"

    as_caseworker = (
        await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.CASEWORKER))
    ).json()
    assert "members" not in as_caseworker
    assert name not in str(as_caseworker)
    assert [m["age_band"] for m in as_caseworker["household"]] == ["25-59", "5-11", "0-4"]
    assert as_caseworker["vulnerabilities"] == ["single_parent"]
    assert as_caseworker["erasure"]["reason"] == "subject_request"
    as_auditor = (await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.AUDITOR))).json()
    assert "vulnerabilities" not in as_auditor
    listed = await intake.client.get(
        "/v1/cases", params={"q": case_id[:13]}, headers=intake.auth(Role.CASEWORKER)
    )
    assert [(c["erased"], c["principal_name"], c["arrival_date"]) for c in listed.json()["items"]] == [
        (True, None, None)
    ]
    # a name search no longer finds it
    by_name = await intake.client.get("/v1/cases", params={"q": name}, headers=intake.auth(Role.CASEWORKER))
    assert by_name.json()["items"] == []
    page = await intake.client.get(f"/cases/{case_id}", headers=await intake.page(Role.CASEWORKER))
    assert page.status_code == 200
    assert "was erased" in page.text
    assert name not in page.text

    change = await intake.client.post(
        f"/v1/cases/{case_id}/assessment",
        json={"needs": [], "vulnerabilities": []},
        headers=intake.auth(Role.CASEWORKER),
    )
    assert change.status_code == 409
    published = [e.type for e in await envelopes(intake, case_id)]
    assert published[-2:] == ["CaseClosed", "PersonalDataErased"]


async def test_the_purge_erases_a_case_only_once_its_retention_period_is_over(
    intake: IntakeUnderTest,
) -> None:
    case_id = (await registered(intake))["id"]
    closed = await intake.client.post(
        f"/v1/cases/{case_id}/close", json={"reason": "reintegrated"}, headers=intake.auth(Role.CASEWORKER)
    )
    closed_at = (
        await intake.client.get(f"/v1/cases/{case_id}", headers=intake.auth(Role.CASEWORKER))
    ).json()["closure"]["closed_at"]
    assert closed.status_code == 200
    assert closed_at
    programmes = load_catalogue(intake.settings.config_dir).programmes
    retention = load_retention(intake.settings.config_dir / "retention.yaml", list(programmes))
    period = retention.period("DE-STARTHILFEPLUS")
    now = context(intake).clock()

    early = await purge(context(intake), retention, RETENTION_JOB, now=now + period - timedelta(days=1))
    assert UUID(case_id) not in early
    on_time = await purge(context(intake), retention, RETENTION_JOB, now=now + period + timedelta(minutes=1))
    assert UUID(case_id) in on_time
    entries = await access_log(intake, case_id)
    assert [(e["actor"], e["role"], e["action"], e["purpose"]) for e in entries][-1] == (
        "retention job",
        "system",
        "erase",
        "retention",
    )


async def test_a_partners_words_arriving_after_the_erasure_are_not_kept(intake: IntakeUnderTest) -> None:
    """Sent before the erasure, consumed after: the timeline keeps the withheld line only."""
    case = await registered(intake)
    case_id, name = case["id"], case["members"][0]["name"]
    await erase_case(context(intake), UUID(case_id), ErasureReason.SUBJECT_REQUEST, RETENTION_JOB)
    late = new_envelope(
        ReferralStatusChanged(
            referral_id=uuid4(),
            case_id=UUID(case_id),
            partner_id="skopje-housing",
            category="housing",
            status="completed",
            reason=f"{name} moved in",
        ),
        key=case_id,
        producer="referral",
    )
    await publish(
        intake.settings.kafka_bootstrap_servers, intake.topics.referral_status.name, [late.to_bytes()]
    )

    async def shown() -> list[str]:
        response = await intake.client.get(
            f"/v1/cases/{case_id}/timeline", headers=intake.auth(Role.CASEWORKER)
        )
        return [e["summary"] for e in response.json() if e["event_id"] == str(late.event_id)]

    assert await eventually(shown, what="the late event on the timeline") == [
        "Referral for housing with a partner: completed"
    ]
    stored = await intake.pool.fetch("SELECT summary FROM timeline_events WHERE case_id = $1", UUID(case_id))
    assert [r["summary"] for r in stored if name in r["summary"]] == []
