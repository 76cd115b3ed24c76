"""The HTTP API: health, who may read, filters, partners' load, and 422s that name the field."""

from __future__ import annotations

import httpx
import pytest

from services.referral.app import create_app
from shared.events import Category
from shared.identity.model import Role
from tests.support import problem_fields

from .checks import published, statuses
from .conftest import RunningReferral
from .events import answer, needs_assessed

pytestmark = pytest.mark.integration


async def test_health_and_readiness(referral: RunningReferral) -> None:
    assert (await referral.client.get("/healthz", headers={"Authorization": ""})).status_code == 200
    ready = await referral.client.get("/readyz")
    assert (ready.status_code, ready.json()) == (
        200,
        {
            "status": "ready",
            "checks": {
                "database": {"status": "up", "error": None},
                "broker": {"status": "up", "error": None},
            },
        },
    )


async def test_not_ready_before_the_service_has_started(referral: RunningReferral) -> None:
    idle = create_app(referral.settings)  # lifespan never run: no pool, broker not connected
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle), base_url="http://idle") as client:
        response = await client.get("/readyz")
    assert (response.status_code, response.json()["type"]) == (503, "/problems/unavailable")


async def test_only_caseworkers_supervisors_and_admins_may_read(referral: RunningReferral) -> None:
    anonymous = await referral.client.get("/v1/referrals", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    finance = {"Authorization": f"Bearer {referral.tokens[Role.FINANCE]}"}
    assert (await referral.client.get("/v1/partners", headers=finance)).status_code == 403
    assert (await referral.client.get("/v1/referrals/unplaced", headers=finance)).status_code == 403


async def test_bad_filters_are_refused_naming_the_field(referral: RunningReferral) -> None:
    response = await referral.client.get("/v1/referrals", params={"status": "lost", "case_id": "nope"})
    assert response.status_code == 422
    fields = sorted(f.split(".")[-1] for f in problem_fields(response))
    assert fields == ["case_id", "status"]


async def test_referrals_filter_by_partner_and_status_and_partners_show_their_load(
    referral: RunningReferral,
) -> None:
    first = needs_assessed(municipality="bitola", needs=[Category.HOUSING])
    second = needs_assessed(municipality="bitola", needs=[Category.HOUSING])
    await referral.send(referral.topics.returnees, first)
    await referral.send(referral.topics.returnees, second)
    [issued] = await published(referral, key=first.key, type="ReferralIssued", count=1)
    await published(referral, key=second.key, type="ReferralIssued", count=1)
    await referral.reply(answer(issued, "accept"))
    await published(referral, key=first.key, type="ReferralStatusChanged", count=2)
    assert statuses(referral, first.key)[-1] == ("housing", "accepted")

    accepted = await referral.client.get(
        "/v1/referrals", params={"partner_id": "bitola-homes", "status": "accepted"}
    )
    assert [(r["case_id"], r["status"]) for r in accepted.json()["referrals"]] == [(first.key, "accepted")]

    partners = {p["id"]: p for p in (await referral.client.get("/v1/partners")).json()["partners"]}
    assert partners["bitola-homes"]["categories"] == [
        {
            "category": "housing",
            "capacity": 50,
            "deadline_hours": 48,
            "accepted": 1,
            "awaiting_answer": 1,
            "available": 48,
        }
    ]
    assert partners["kumanovo-shelter"]["eligibility"]["requires_any_of"] == ["victim_of_trafficking"]
