"""Finance officers at the API: four eyes, one disbursement per installment, roles, idempotency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared.events.codes import AssistanceType as T
from tests.unit.grants.builders import plan

from .conftest import GrantsService, plan_approved

pytestmark = pytest.mark.integration
TRANSFER = {"method": "bank_transfer", "payment_reference": "SEPA-1"}


@pytest.fixture(scope="module", autouse=True)
async def funded(service: GrantsService) -> None:
    await service.fund("DE-STARTHILFEPLUS", 5_000_000)


async def due_installment(service: GrantsService) -> dict[str, Any]:
    approved = plan("DE-STARTHILFEPLUS", [40], {T.CASH: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    installment: dict[str, Any] = (await service.grant_of(approved.case_id))["installments"][0]
    assert installment["status"] == "due"
    return installment


async def approved_installment(service: GrantsService, by: str = "fin-a") -> dict[str, Any]:
    installment = await due_installment(service)
    response = await service.post(f"/v1/installments/{installment['id']}/approve", by)
    assert response.status_code == 200
    assert response.json()["approved_by"] == by
    return installment


async def disbursements_of(service: GrantsService, installment: dict[str, Any]) -> list[dict[str, Any]]:
    entries = await service.get("/v1/ledger/entries", grant_id=installment["grant_id"])
    return [e for e in entries if e["installment_id"] == installment["id"] and e["kind"] == "disbursement"]


async def test_the_officer_who_approved_cannot_disburse(service: GrantsService) -> None:
    installment = await approved_installment(service, by="fin-a")
    same = await service.post(f"/v1/installments/{installment['id']}/disburse", "fin-a", TRANSFER)
    assert same.status_code == 403
    assert same.json()["detail"] == (
        "four-eyes rule: you approved this installment, so another finance officer must disburse it"
    )
    assert await disbursements_of(service, installment) == []
    other = await service.post(f"/v1/installments/{installment['id']}/disburse", "fin-b", TRANSFER)
    assert other.status_code == 200
    assert other.json()["disbursed_by"] == "fin-b"


async def test_two_simultaneous_disbursements_of_one_installment_pay_once(service: GrantsService) -> None:
    installment = await approved_installment(service)
    path = f"/v1/installments/{installment['id']}/disburse"
    answers = await asyncio.gather(
        service.post(path, "fin-b", {**TRANSFER, "payment_reference": "SEPA-B"}),
        service.post(path, "fin-c", {**TRANSFER, "payment_reference": "SEPA-C"}),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["detail"] == "cannot disburse: the installment is already disbursed"
    assert len(await disbursements_of(service, installment)) == 2  # one transaction: a debit and a credit


async def test_an_installment_not_yet_approved_cannot_be_disbursed_and_says_why(
    service: GrantsService,
) -> None:
    installment = await due_installment(service)
    early = await service.post(f"/v1/installments/{installment['id']}/disburse", "fin-b", TRANSFER)
    assert early.status_code == 409
    assert "needs an approval first" in early.json()["detail"]
    not_paid = await service.post(
        f"/v1/installments/{installment['id']}/fail", "fin-b", {"reason": "returned_by_bank"}
    )
    assert not_paid.status_code == 409
    assert "only a disbursed installment can fail" in not_paid.json()["detail"]


async def test_auditors_read_but_never_write_and_strangers_do_neither(service: GrantsService) -> None:
    installment = await due_installment(service)
    assert (await service.client.get("/v1/grants", headers=service.auth("aud-1"))).status_code == 200
    refused = await service.post(f"/v1/installments/{installment['id']}/approve", "aud-1")
    assert refused.status_code == 403
    assert "role 'auditor' may not do this" in refused.json()["detail"]
    assert (await service.client.get("/v1/ledger/entries", headers=service.auth("cw-1"))).status_code == 403
    assert (await service.client.get("/v1/programmes")).status_code == 401


async def test_funding_with_the_same_key_is_one_posting_and_other_content_is_a_conflict(
    service: GrantsService,
) -> None:
    body = {"amount": {"amount": 250_000, "currency": "EUR"}, "reference": "BMI-2025-04"}
    key = {"Idempotency-Key": "bmi-2025-04"}
    first = await service.post("/v1/programmes/DE-STARTHILFEPLUS/funding", "fin-a", body, **key)
    again = await service.post("/v1/programmes/DE-STARTHILFEPLUS/funding", "fin-b", body, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"]
    assert again.json()["transaction_id"] == first.json()["transaction_id"]
    entries = await service.get("/v1/ledger/entries", programme="DE-STARTHILFEPLUS", limit=5000)
    assert len([e for e in entries if e["idempotency_key"] == "funding:bmi-2025-04"]) == 2

    changed = {**body, "amount": {"amount": 260_000, "currency": "EUR"}}
    conflict = await service.post("/v1/programmes/DE-STARTHILFEPLUS/funding", "fin-a", changed, **key)
    assert conflict.status_code == 409
    assert "already used for a different posting" in conflict.json()["detail"]


async def test_a_disbursement_retried_with_its_key_is_paid_once(service: GrantsService) -> None:
    installment = await approved_installment(service)
    path, key = (
        f"/v1/installments/{installment['id']}/disburse",
        {"Idempotency-Key": f"pay-{installment['id']}"},
    )
    first = await service.post(path, "fin-b", TRANSFER, **key)
    retry = await service.post(path, "fin-b", TRANSFER, **key)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["status"] == "disbursed"
    assert len(await disbursements_of(service, installment)) == 2
    other = await service.post(path, "fin-b", {**TRANSFER, "payment_reference": "SEPA-2"}, **key)
    assert other.status_code == 409
    assert "already used for a different request" in other.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"amount": {"amount": 100.5, "currency": "EUR"}, "reference": "x"}, 422, "amount"),
        ({"amount": {"amount": 100, "currency": "CHF"}, "reference": "x"}, 422, "funded in EUR"),
        ({"amount": {"amount": -5, "currency": "EUR"}, "reference": "x"}, 422, "positive amount"),
        ({"amount": {"amount": 100, "currency": "EUR"}}, 422, "reference"),
    ],
)
async def test_bad_funding_is_refused_and_nothing_is_stored(
    service: GrantsService, body: dict[str, Any], status: int, names: str
) -> None:
    before = await service.get("/v1/programmes/DE-STARTHILFEPLUS")
    response = await service.post(
        "/v1/programmes/DE-STARTHILFEPLUS/funding", "fin-a", body, **{"Idempotency-Key": "bad"}
    )
    assert response.status_code == status
    assert names in response.text
    assert await service.get("/v1/programmes/DE-STARTHILFEPLUS") == before


async def test_a_supplier_installment_needs_an_invoice(service: GrantsService) -> None:
    await service.fund("NL-AVRR", 1_000_000)
    approved = plan("NL-AVRR", [30], {T.IN_KIND: 100_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    installment = (await service.grant_of(approved.case_id))["installments"][0]
    assert (await service.post(f"/v1/installments/{installment['id']}/approve", "fin-a")).status_code == 200
    cash = await service.post(f"/v1/installments/{installment['id']}/disburse", "fin-b", TRANSFER)
    assert cash.status_code == 422
    assert "paid to a supplier" in cash.json()["detail"]
