"""Referral's reads for readers who may not see vulnerabilities, and its access log: an admin sees
that a partner holds a referral, not which one, nor what it was sent, its deadline or its words,
and may not look referrals up by partner; every case-scoped read leaves a row the
data-protection officer reads."""

from __future__ import annotations

from uuid import UUID

import pytest

from shared.events import Category, Vulnerability
from shared.identity.model import Role

from .checks import published
from .conftest import RunningReferral
from .events import needs_assessed

pytestmark = pytest.mark.integration


def as_role(referral: RunningReferral, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {referral.tokens[role]}"}


async def test_a_reader_without_the_right_sees_that_a_partner_holds_it_not_which(
    referral: RunningReferral,
) -> None:
    event = needs_assessed(
        municipality="kumanovo",
        needs=[Category.HOUSING],
        vulnerabilities=[Vulnerability.VICTIM_OF_TRAFFICKING],
    )
    await referral.send(referral.topics.returnees, event)
    await published(referral, key=event.key, type="ReferralIssued", count=1)
    params = {"case_id": event.key}

    [seen] = (await referral.client.get("/v1/referrals", params=params)).json()["referrals"]
    assert (seen["partner_id"], seen["placed_with_partner"]) == ("kumanovo-shelter", True)
    assert seen["payload"]["vulnerabilities"] == ["victim_of_trafficking"]

    admin = as_role(referral, Role.ADMIN)
    [withheld] = (await referral.client.get("/v1/referrals", params=params, headers=admin)).json()[
        "referrals"
    ]
    assert (withheld["partner_id"], withheld["placed_with_partner"]) == (None, True)
    assert (withheld["payload"], withheld["respond_by"]) == ({}, None)
    assert (withheld["status"], withheld["category"], withheld["priority"]) == ("issued", "housing", "normal")
    by_partner = await referral.client.get(
        "/v1/referrals", params={"partner_id": "kumanovo-shelter"}, headers=admin
    )
    assert by_partner.status_code == 403
    assert by_partner.headers["content-type"] == "application/problem+json"

    log = await referral.client.get(f"/v1/cases/{event.key}/access-log", headers=as_role(referral, Role.DPO))
    assert [(e["role"], e["action"], e["purpose"]) for e in log.json()["entries"]] == [
        ("caseworker", "read", "case_management"),
        ("admin", "read", "administration"),
    ]
    assert {e["case_id"] for e in log.json()["entries"]} == {str(UUID(event.key))}
    refused = await referral.client.get(f"/v1/cases/{event.key}/access-log")  # a caseworker
    assert refused.status_code == 403
