"""Erasure end to end: a closed case past its programme's retention period is purged (as the daily
job and `homeward privacy purge` do), and afterwards the person's name, date of birth and document
number are in no column of any table of any service's schema — outbox payloads included — while
every partner that ever received the case was asked, on its own topic, to delete it."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from homeward import privacy as privacy_cli
from shared.events.codes import ErasureReason
from shared.identity.model import Role
from shared.privacy import RETENTION_JOB, operator
from tests.support import eventually, read_topic

from .conftest import SERVICES, Populated, System

pytestmark = pytest.mark.integration


async def traces_left(system: System, populated: Populated) -> list[str]:
    """Every (schema.table.column: trace) where the person's name, date of birth or document number
    still appears: each column of each table of the three service schemas, read as text (byte
    columns decoded, JSON as written), compared without regard to case."""
    wanted = [t.casefold() for t in populated.person.traces()]
    found: list[str] = []
    connection = await asyncpg.connect(system.settings["intake"].database_url)
    try:
        for service in SERVICES:
            schema = system.schema(service)
            tables = await connection.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
                schema,
            )
            assert tables, f"no tables in {schema}: the scan would prove nothing"
            for table in tables:
                for row in await connection.fetch(f'SELECT * FROM "{schema}"."{table["table_name"]}"'):
                    for column, value in row.items():
                        text = _text(value).casefold()
                        found += [
                            f"{schema}.{table['table_name']}.{column}: {w}" for w in wanted if w in text
                        ]
    finally:
        await connection.close()
    return found


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


async def test_a_purged_case_leaves_no_personal_data_in_any_service_and_its_partners_are_told(
    system: System,
) -> None:
    populated = await system.populated_case()
    case_id = populated.case_id
    # before: the person is all over the three services (the scan can find what it looks for)
    before = await traces_left(system, populated)
    assert {line.split(".")[0] for line in before} == {system.schema(s) for s in SERVICES}, before

    # the retention period (5 years for DE-STARTHILFEPLUS) ended: the case was closed long ago
    intake_pool = system.apps["intake"].state.intake.pool
    await intake_pool.execute(
        "UPDATE cases SET closed_at = now() - interval '6 years' WHERE id = $1", case_id
    )
    due = await privacy_cli.purge(
        system.settings["intake"], system.schema("intake"), RETENTION_JOB, dry_run=True
    )
    assert case_id in due
    erased = await privacy_cli.purge(
        system.settings["intake"], system.schema("intake"), RETENTION_JOB, dry_run=False
    )
    assert erased == due

    # referral and grants act on PersonalDataErased; every partner that received the case is told
    referral_pool = system.apps["referral"].state.pool
    grants_pool = system.apps["grants"].state.grants.pool

    erasure_event = await intake_pool.fetchval(
        "SELECT event_id FROM outbox WHERE key = $1 ORDER BY id DESC LIMIT 1", str(case_id)
    )

    async def everyone_acted() -> bool:
        in_referral = await referral_pool.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", erasure_event
        )
        in_grants = await grants_pool.fetchval(
            "SELECT count(*) FROM inbox WHERE event_id = $1", erasure_event
        )
        return bool(in_referral and in_grants)

    await eventually(everyone_acted, timeout=30, what="referral and grants to consume PersonalDataErased")
    assert await traces_left(system, populated) == []

    for category, partner_id in populated.partners.items():
        topic = system.topics.partner(partner_id).name
        records = await read_topic(system.settings["referral"].kafka_bootstrap_servers, topic)
        requests = [
            json.loads(r.value)
            for r in records
            if r.key == str(case_id).encode() and json.loads(r.value)["type"] == "ErasureRequested"
        ]
        assert [(r["data"]["partner_id"], r["data"]["reason"]) for r in requests] == [
            (partner_id, "retention_ended")
        ], category

    # what stays: ids, codes and the ledger — the case reads as erased, the grant and its payment stand
    case = await system.ok("intake", "GET", f"/v1/cases/{case_id}", Role.CASEWORKER)
    assert (case["erasure"]["reason"], case["household"][0]["age_band"]) == ("retention_ended", "25-59")
    grant = await system.ok("grants", "GET", f"/v1/grants/{populated.grant_id}", Role.FINANCE)
    assert [i["status"] for i in grant["installments"]].count("disbursed") == 1
    assert (await system.ok("grants", "GET", "/v1/ledger/verify", Role.AUDITOR))["ok"] is True


async def test_erasure_at_the_subjects_request_closes_an_open_case_and_cannot_be_undone(
    system: System,
) -> None:
    populated = await system.populated_case(close=False)
    exported = await privacy_cli.export(
        system.settings["intake"], {s: system.schema(s) for s in SERVICES}, populated.case_id, RETENTION_JOB
    )
    text = json.dumps(exported)
    # everything held about the person, from each service: intake's case, timeline and access log,
    # referral's copy and referrals, grants' grant and ledger lines
    assert populated.person.name in exported["intake"]["case"]["members"][0]["name"]
    assert {"case", "timeline", "access_log"} <= set(exported["intake"])
    assert [r["partner_id"] for r in exported["referral"]["referrals"]]
    assert exported["grants"]["grants"][0]["ledger_entries"]
    assert populated.person.surname in text
    for service in SERVICES:
        log = exported[service]["access_log"]
        assert (log[-1]["action"], log[-1]["purpose"]) == ("export", "subject_access"), service

    gone = await privacy_cli.erase(
        system.settings["intake"],
        system.schema("intake"),
        populated.case_id,
        ErasureReason.SUBJECT_REQUEST,
        operator("dpo-on-duty"),
    )
    assert gone == populated.case_id
    # the open case was closed first: its referrals are withdrawn and its grant closed, as on any closure
    case = await system.ok("intake", "GET", f"/v1/cases/{populated.case_id}", Role.CASEWORKER)
    assert (case["status"], case["closure_reason"], case["erasure"]["reason"]) == (
        "closed",
        "erased",
        "subject_request",
    )

    async def grant_closed() -> bool:
        grant = await system.ok("grants", "GET", f"/v1/grants/{populated.grant_id}", Role.FINANCE)
        return bool(grant["status"] == "closed")

    await eventually(grant_closed, what="the grant of the erased case to close")
    response = await system.call(
        "intake",
        "POST",
        f"/v1/cases/{populated.case_id}/consent",
        Role.CASEWORKER,
        json={"consent": {"housing": True}},
    )
    assert response.status_code == 409
    assert "erased" in response.json()["detail"]
    # erasing again changes nothing; the access log says who erased it and why
    assert (
        await privacy_cli.erase(
            system.settings["intake"],
            system.schema("intake"),
            populated.case_id,
            ErasureReason.SUBJECT_REQUEST,
            RETENTION_JOB,
        )
        == populated.case_id
    )
    log = await system.ok("intake", "GET", f"/v1/cases/{populated.case_id}/access-log", Role.DPO)
    erasures = [(e["actor"], e["role"], e["purpose"]) for e in log["entries"] if e["action"] == "erase"]
    assert erasures == [("operator dpo-on-duty", "operator", "erasure")]
