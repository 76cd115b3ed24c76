"""Scopes fail closed in grants: a reader of programme A gets 404 for every grant, installment and
programme of programme B (as for one that does not exist), B never appears in A's lists, ledger
entries or balances, and B's objects cannot be acted on; the whole-ledger export is for readers of
every programme only. Separation of duties: whoever disbursed a payment cannot record its failure."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.events.codes import AssistanceType as T
from tests.unit.grants.builders import plan

from .conftest import GrantsService, plan_approved

pytestmark = pytest.mark.integration

NL, DE = "NL-AVRR", "DE-STARTHILFEPLUS"


async def _paid_grant(service: GrantsService, programme: str) -> dict[str, Any]:
    await service.fund(programme, 1_000_000)
    approved = plan(programme, [30], {T.CASH: 40_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    first = grant["installments"][0]
    assert (await service.post(f"/v1/installments/{first['id']}/approve", "fin-a")).status_code == 200
    paid = await service.post(
        f"/v1/installments/{first['id']}/disburse",
        "fin-b",
        {"method": "bank_transfer", "payment_reference": f"TX-{uuid4().hex[:6]}"},
    )
    assert paid.status_code == 200, paid.text
    return grant


async def test_a_reader_of_one_programme_finds_nothing_of_another(service: GrantsService) -> None:
    ours, theirs = await _paid_grant(service, NL), await _paid_grant(service, DE)
    their_installment = theirs["installments"][0]["id"]
    missing = str(uuid4())

    async def status(path: str, who: str = "fin-nl") -> int:
        return (await service.client.get(path, headers=service.auth(who))).status_code

    # objects of the other programme: 404, exactly as for objects that do not exist
    for path in (
        f"/v1/grants/{theirs['id']}",
        f"/v1/installments/{their_installment}",
        f"/v1/programmes/{DE}",
    ):
        assert await status(path) == 404, path
    other = await service.client.get(f"/v1/grants/{theirs['id']}", headers=service.auth("fin-nl"))
    absent = await service.client.get(f"/v1/grants/{missing}", headers=service.auth("fin-nl"))
    assert other.json()["detail"].replace(theirs["id"], "X") == absent.json()["detail"].replace(missing, "X")
    assert await status(f"/v1/grants/{ours['id']}") == 200

    # lists: only our programme's rows, even when asked for theirs by name or by id
    grants = await service.get("/v1/grants", "fin-nl", limit=1000)
    assert ours["id"] in {g["id"] for g in grants}
    assert {g["programme_id"] for g in grants} == {NL}
    assert await service.get("/v1/grants", "fin-nl", programme=DE) == []
    assert await service.get("/v1/grants", "fin-nl", case_id=theirs["case_id"]) == []
    installments = await service.get("/v1/installments", "fin-nl", limit=1000)
    assert {i["programme_id"] for i in installments} == {NL}
    assert await service.get("/v1/installments", "fin-nl", grant_id=theirs["id"]) == []
    entries = await service.get("/v1/ledger/entries", "fin-nl", limit=5000)
    assert entries
    assert {e["programme_id"] for e in entries} == {NL}
    assert await service.get("/v1/ledger/entries", "fin-nl", grant_id=theirs["id"]) == []
    balances = await service.get("/v1/ledger/balances", "fin-nl")
    assert {b["programme_id"] for b in balances["programmes"] + balances["accounts"]} == {NL}
    assert [p["id"] for p in await service.get("/v1/programmes", "fin-nl")] == [NL]

    # the auditor of the other programme sees the mirror image
    assert await status(f"/v1/grants/{ours['id']}", "aud-de") == 404
    assert await status(f"/v1/grants/{theirs['id']}", "aud-de") == 200
    assert {g["programme_id"] for g in await service.get("/v1/grants", "aud-de", limit=1000)} == {DE}


async def test_a_reader_of_one_programme_cannot_act_on_another(service: GrantsService) -> None:
    theirs = await _paid_grant(service, DE)
    their_installment = theirs["installments"][0]["id"]
    writes = {
        f"/v1/installments/{their_installment}/approve": None,
        f"/v1/installments/{their_installment}/disburse": {"method": "cash", "payment_reference": "R-1"},
        f"/v1/installments/{their_installment}/fail": {"reason": "bounced"},
        f"/v1/grants/{theirs['id']}/verify-business-plan": None,
    }
    for path, body in writes.items():
        refused = await service.post(path, "fin-nl", body)
        assert refused.status_code == 404, (path, refused.text)
    funding = await service.post(
        f"/v1/programmes/{DE}/funding",
        "fin-nl",
        {"amount": {"amount": 1000, "currency": "EUR"}, "reference": "t-1"},
        **{"Idempotency-Key": uuid4().hex},
    )
    assert funding.status_code == 404
    unchanged = await service.get(f"/v1/installments/{their_installment}", "fin-a")
    assert (unchanged["status"], unchanged["attempts"]) == ("disbursed", 1)


async def test_the_whole_ledger_is_for_readers_of_every_programme(service: GrantsService) -> None:
    for path in ("/v1/ledger/export.csv", "/v1/ledger/verify"):
        scoped = await service.client.get(path, headers=service.auth("aud-de"))
        assert scoped.status_code == 403, path
        assert scoped.json()["type"] == "/problems/forbidden"
        assert (await service.client.get(path, headers=service.auth("aud-1"))).status_code == 200


async def test_whoever_disbursed_a_payment_cannot_record_its_failure(service: GrantsService) -> None:
    grant = await _paid_grant(service, NL)
    installment = grant["installments"][0]["id"]
    refused = await service.post(f"/v1/installments/{installment}/fail", "fin-b", {"reason": "bounced"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/four-eyes"
    assert (await service.get(f"/v1/installments/{installment}", "fin-a"))["status"] == "disbursed"
    recorded = await service.post(f"/v1/installments/{installment}/fail", "fin-c", {"reason": "bounced"})
    assert recorded.status_code == 200
    assert recorded.json()["status"] == "failed"
