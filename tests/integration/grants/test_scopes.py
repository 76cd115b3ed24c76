"""Scopes fail closed in grants: a reader of programme A gets 404 for every grant, installment and
programme of programme B (as for one that does not exist), B never appears in A's lists, ledger
entries or balances, and B's objects cannot be acted on; the whole-ledger export is for readers of
every programme only; the access log is read within the officer's programmes too. Separation of
duties: whoever disbursed a payment cannot record its failure."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.events.codes import AssistanceType as T
from shared.identity.model import Role
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
        f"/v1/installments/{their_installment}/fail": {"reason": "returned_by_bank"},
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
    refused = await service.post(
        f"/v1/installments/{installment}/fail", "fin-b", {"reason": "returned_by_bank"}
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/four-eyes"
    assert (await service.get(f"/v1/installments/{installment}", "fin-a"))["status"] == "disbursed"
    recorded = await service.post(
        f"/v1/installments/{installment}/fail", "fin-c", {"reason": "returned_by_bank"}
    )
    assert recorded.status_code == 200
    assert recorded.json()["status"] == "failed"


async def test_the_access_log_is_read_within_the_officers_programmes_and_redacted_views_stay_redacted(
    service: GrantsService,
) -> None:
    """Scopes and redaction together: the data-protection officer of NL reads the access log of
    NL's cases only (another programme's case is a 404; a user's accesses to it are left out), and
    NL's auditor reads NL's grants without the vulnerability flag or ceiling, and none of DE's."""
    ours, theirs = await _paid_grant(service, NL), await _paid_grant(service, DE)
    identity = service.app.state.identity
    _, token = await identity.add_user(f"dpo-nl-{uuid4().hex[:6]}", Role.DPO, programmes=[NL])
    dpo = {"Authorization": f"Bearer {token}"}

    own = await service.client.get(f"/v1/cases/{ours['case_id']}/access-log", headers=dpo)
    assert own.status_code == 200, own.text
    assert {e["action"] for e in own.json()["entries"]} >= {"pay"}
    other = await service.client.get(f"/v1/cases/{theirs['case_id']}/access-log", headers=dpo)
    assert other.status_code == 404
    # fin-a approved a payment in each programme: the officer of NL sees only NL's cases in it
    found = await identity.user_by_name("fin-a")
    assert found is not None
    by_user = await service.client.get("/v1/access-log", params={"user_id": str(found[0].id)}, headers=dpo)
    assert by_user.status_code == 200, by_user.text
    cases = {e["case_id"] for e in by_user.json()["entries"]}
    assert ours["case_id"] in cases
    assert theirs["case_id"] not in cases
    nl_cases = {g["case_id"] for g in await service.get("/v1/grants", "fin-a", programme=NL, limit=1000)}
    assert cases <= nl_cases

    _, audit_token = await identity.add_user(f"aud-nl-{uuid4().hex[:6]}", Role.AUDITOR, programmes=[NL])
    auditor = {"Authorization": f"Bearer {audit_token}"}
    seen = await service.client.get(f"/v1/grants/{ours['id']}", headers=auditor)
    assert seen.status_code == 200
    assert (seen.json()["vulnerable"], seen.json()["ceiling"]) == (None, None)
    assert (await service.client.get(f"/v1/grants/{theirs['id']}", headers=auditor)).status_code == 404
