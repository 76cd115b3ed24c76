"""A grant's life against the real broker and database: plan approval → grant → installments due,
approved, disbursed by another officer, failed and paid again → case closed, commitment released."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from services.grants.use_cases.due import installments_falling_due
from shared.events import Envelope, new_envelope
from shared.events.codes import AssistanceType as T
from shared.events.intake import NeedsAssessed
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX
from tests.support import eventually, headers_of, read_topic
from tests.unit.grants.builders import plan

from .conftest import GrantsService, case_closed, plan_approved
from .ledger_table import ledger_table

pytestmark = pytest.mark.integration


async def test_a_plan_approval_delivered_twice_opens_one_grant(service: GrantsService) -> None:
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, arrival=service.clock.today)
    twice = plan_approved(approved)
    # same case, same partition, after both copies: once it is in the inbox, both copies were handled;
    # grants does not act on it, only records it so it is not read again
    marker = needs_assessed(approved.case_id)
    await service.deliver(twice, twice, marker)
    await service.processed(marker)

    grant = await service.grant_of(approved.case_id)
    assert grant["status"] == "open"
    assert grant["total"] == {"amount": 100_000, "currency": "EUR"}
    commitments = await service.get("/v1/ledger/entries", grant_id=grant["id"])
    assert [(e["kind"], e["direction"], e["amount"]) for e in commitments] == [
        ("commitment", "debit", 100_000),
        ("commitment", "credit", 100_000),
    ]
    events = await service.published(approved.case_id, at_least=2)
    assert [e.type for e in events] == ["GrantOpened", "InstallmentDue"]  # the second half waits 180 days


def needs_assessed(case_id: UUID) -> Envelope:
    assessed = NeedsAssessed(
        case_id=case_id,
        programme_id="DE-STARTHILFEPLUS",
        municipality="skopje",
        household=[],
        assessed_by="cw-1",
    )
    return new_envelope(assessed, key=case_id, producer="intake")


async def _pay(
    service: GrantsService, installment: dict[str, Any], approver: str, payer: str
) -> dict[str, Any]:
    approved = await service.post(f"/v1/installments/{installment['id']}/approve", approver)
    assert approved.status_code == 200, approved.text
    body = (
        {
            "method": "supplier_invoice",
            "payment_reference": "SEPA-77",
            "supplier": "Bouwmarkt BV",
            "invoice_number": "F-1",
        }
        if installment["paid_to"] == "supplier"
        else {"method": "bank_transfer", "payment_reference": f"SEPA-{installment['sequence']}"}
    )
    paid = await service.post(f"/v1/installments/{installment['id']}/disburse", payer, body)
    assert paid.status_code == 200, paid.text
    result: dict[str, Any] = paid.json()
    return result


async def test_a_grants_life_as_ledger_entries(service: GrantsService) -> None:
    funding = await service.fund("NL-AVRR", 2_000_000)
    approved = plan("NL-AVRR", [35], {T.CASH: 30_000, T.IN_KIND: 150_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    cash_now, in_kind_now, cash_later, in_kind_later = grant["installments"]
    assert [i["status"] for i in grant["installments"]] == ["due", "due", "scheduled", "scheduled"]
    assert [i["amount"]["amount"] for i in grant["installments"]] == [18_000, 90_000, 12_000, 60_000]

    await _pay(service, cash_now, approver="fin-a", payer="fin-b")
    failed = await service.post(
        f"/v1/installments/{cash_now['id']}/fail", "fin-c", {"reason": "account_closed"}
    )
    assert failed.status_code == 200
    assert failed.json()["status"] == "failed"
    again = await _pay(
        service, cash_now, approver="fin-c", payer="fin-a"
    )  # a new approval, a new pair of eyes
    assert (again["status"], again["attempts"]) == ("disbursed", 2)
    await _pay(service, in_kind_now, approver="fin-a", payer="fin-b")

    assert await installments_falling_due(service.context, service.clock.today + timedelta(days=89)) == 0
    assert await installments_falling_due(service.context, service.clock.today + timedelta(days=90)) >= 2
    grant = await service.grant_of(approved.case_id)
    assert [i["status"] for i in grant["installments"]] == ["disbursed", "disbursed", "due", "due"]

    await service.deliver(case_closed(approved.case_id))
    closed = await eventually(
        lambda: _closed(service, grant["id"]), what="the grant to close when the case closes"
    )
    assert closed is not None
    assert [i["status"] for i in closed["installments"]] == [
        "disbursed",
        "disbursed",
        "cancelled",
        "cancelled",
    ]

    events = await service.published(approved.case_id, at_least=13)
    assert [e.type for e in events] == [
        "GrantOpened",
        *["InstallmentDue"] * 2,
        *["InstallmentApproved", "InstallmentDisbursed", "InstallmentFailed"],
        *["InstallmentApproved", "InstallmentDisbursed"] * 2,
        *["InstallmentDue"] * 2,
        "GrantClosed",
    ]
    assert events[-1].data["released"] == {"amount": 72_000, "currency": "EUR"}
    assert events[-1].data["cancelled_installments"] == [cash_later["id"], in_kind_later["id"]]

    mine = await service.get("/v1/ledger/entries", grant_id=grant["id"])
    funded = [
        e
        for e in await service.get("/v1/ledger/entries", programme="NL-AVRR")
        if e["transaction_id"] == str(funding["transaction_id"])
    ]
    assert [e["kind"] for e in mine[::2]] == [
        "commitment",
        "disbursement",
        "reversal",
        "disbursement",
        "disbursement",
        "release",
    ]
    grant_balances = {
        a["account"]: a["balance"]["amount"]
        for a in (await service.get("/v1/ledger/balances", grant_id=grant["id"]))["accounts"]
    }
    assert grant_balances == {f"grant/{grant['id']}/committed": 0, f"grant/{grant['id']}/disbursed": 108_000}
    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"], verdict
    print(
        f"\n{ledger_table(funded + mine)}\n\nGET /v1/ledger/verify → {verdict['verdict']}"
    )  # for the closing note


async def _closed(service: GrantsService, grant_id: str) -> dict[str, Any] | None:
    grant: dict[str, Any] = await service.get(f"/v1/grants/{grant_id}")
    return grant if grant["status"] == "closed" else None


async def test_a_business_plan_verification_makes_its_installment_due(service: GrantsService) -> None:
    await service.fund("CH-RKH", 1_000_000, currency="CHF")
    approved = plan(
        "CH-RKH",
        [40],
        {T.CASH: 50_000, T.MICRO_BUSINESS: 300_000},
        currency="CHF",
        arrival=service.clock.today,
    )
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    business = grant["installments"][1]
    assert (business["milestone"], business["status"]) == ("business_plan_verified", "scheduled")

    early = await service.post(f"/v1/installments/{business['id']}/approve", "fin-a")
    assert early.status_code == 409
    assert "waits for its milestone (business_plan_verified)" in early.json()["detail"]
    verified = await service.post(f"/v1/grants/{grant['id']}/verify-business-plan", "fin-a")
    assert verified.status_code == 200
    assert verified.json()["installments"][1]["status"] == "due"
    twice = await service.post(f"/v1/grants/{grant['id']}/verify-business-plan", "fin-b")
    assert twice.status_code == 409
    assert "already verified by fin-a" in twice.json()["detail"]
    assert (await _pay(service, business, approver="fin-a", payer="fin-b"))["status"] == "disbursed"


async def test_a_plan_that_cannot_be_a_grant_is_dead_lettered_with_the_reason(service: GrantsService) -> None:
    unknown = plan("XX-NOWHERE", [40], {T.CASH: 10_000})
    wrong_currency = plan("CH-RKH", [40], {T.CASH: 10_000}, currency="EUR")
    await service.deliver(plan_approved(unknown), plan_approved(wrong_currency))
    dlq = service.context.topics.returnees.dlq.name
    dead = await read_topic(service.settings.kafka_bootstrap_servers, dlq, at_least=2)
    reasons = [headers_of(r)[f"{DLQ_HEADER_PREFIX}error"] for r in dead]
    assert any("no donor programme 'XX-NOWHERE'" in r for r in reasons)
    assert any("programme CH-RKH pays in CHF" in r for r in reasons)
    assert await service.get("/v1/grants", case_id=str(unknown.case_id)) == []


async def test_the_service_reports_ready(service: GrantsService) -> None:
    assert (await service.client.get("/healthz")).status_code == 200
    ready = await service.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": {"status": "up", "error": None}, "broker": {"status": "up", "error": None}},
    }


async def test_a_payment_returned_after_the_case_closed_goes_back_to_the_budget(
    service: GrantsService,
) -> None:
    await service.fund("DE-STARTHILFEPLUS", 500_000)
    approved = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    first = grant["installments"][0]
    await _pay(service, first, approver="fin-a", payer="fin-b")
    await service.deliver(case_closed(approved.case_id))
    await eventually(lambda: _closed(service, grant["id"]), what="the grant to close")
    available = (await service.get("/v1/programmes/DE-STARTHILFEPLUS"))["balances"][0]["available"]

    returned = await service.post(
        f"/v1/installments/{first['id']}/fail", "fin-c", {"reason": "returned_by_bank"}
    )
    assert returned.status_code == 200
    assert returned.json()["status"] == "failed"
    now = (await service.get("/v1/programmes/DE-STARTHILFEPLUS"))["balances"][0]["available"]
    assert now == available + 50_000
    again = await service.post(f"/v1/installments/{first['id']}/approve", "fin-a")
    assert again.status_code == 409
    assert (
        "the grant is closed and the returned amount went back to the programme's budget"
        in again.json()["detail"]
    )
    balances = await service.get("/v1/ledger/balances", grant_id=grant["id"])
    assert {a["kind"]: a["balance"]["amount"] for a in balances["accounts"]} == {
        "committed": 0,
        "disbursed": 0,
    }
    due = await service.get("/v1/installments", grant_id=grant["id"], status="failed")
    assert [i["id"] for i in due] == [first["id"]]
