"""Caseworkers act on referrals, and the service re-routes and retries on its own (issue 15, point 1),
on the real broker and database: each action's events on the partners' topics and on
referral.status.v1, its refusals as problems, and the scopes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.referral.use_cases.automatic import reroute_escalations, retry_unplaced
from services.referral.use_cases.escalation import escalate_overdue
from shared.events import Category
from shared.identity.model import Role

from .checks import published, statuses
from .conftest import RunningReferral
from .events import answer, needs_assessed
from .recorder import Seen

pytestmark = pytest.mark.integration

H = Category.HOUSING


async def assessed(referral: RunningReferral, municipality: str, status: str = "issued") -> UUID:
    """A case needing housing in `municipality`, once its referral is `status`."""
    event = needs_assessed(municipality=municipality, needs=[H])
    await referral.send(referral.topics.returnees, event)
    [changed] = await published(referral, key=event.key, type="ReferralStatusChanged", count=1)
    assert changed.data["status"] == status
    return UUID(event.key)


async def referral_of(referral: RunningReferral, case_id: UUID, status: str) -> dict[str, Any]:
    listed = await referral.client.get("/v1/referrals", params={"case_id": str(case_id)})
    found: list[dict[str, Any]] = [r for r in listed.json()["referrals"] if r["status"] == status]
    [one] = found
    return one


async def eligible(referral: RunningReferral, referral_id: str) -> list[str]:
    answer = await referral.client.get(f"/v1/referrals/{referral_id}/eligible-partners")
    assert answer.status_code == 200, answer.text
    return [p["partner_id"] for p in answer.json()["partners"]]


def last_status(referral: RunningReferral, case_id: UUID) -> dict[str, Any]:
    found = referral.recorder.find(topic="referral.status.v1", key=case_id, type="ReferralStatusChanged")
    return found[-1].data


async def test_a_caseworker_withdraws_a_referral_with_a_reason_and_the_partner_is_told(
    referral: RunningReferral,
) -> None:
    case_id = await assessed(referral, "kumanovo")
    mine = await referral_of(referral, case_id, "issued")

    done = await referral.client.post(
        f"/v1/referrals/{mine['referral_id']}/withdraw", json={"reason": "returnee_declined"}
    )

    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["reason"]) == ("withdrawn", "returnee_declined")
    [withdrawn] = await published(
        referral, key=case_id, type="ReferralWithdrawn", count=1, topic="referrals.kumanovo-homes.v1"
    )
    assert withdrawn.data["reason"] == "returnee_declined"
    await published(referral, key=case_id, type="ReferralStatusChanged", count=2)
    assert (last_status(referral, case_id)["status"], last_status(referral, case_id)["reason"]) == (
        "withdrawn",
        "returnee_declined",
    )
    # the partner's place is free again (the partners listing counts it)
    partners = {p["id"]: p for p in (await referral.client.get("/v1/partners")).json()["partners"]}
    assert partners["kumanovo-homes"]["categories"][0]["awaiting_answer"] == 0

    again = await referral.client.post(
        f"/v1/referrals/{mine['referral_id']}/withdraw", json={"reason": "other"}
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "withdrawn" in again.json()["detail"]


async def test_bad_requests_are_problems_404_422_and_403(referral: RunningReferral) -> None:
    case_id = await assessed(referral, "kumanovo")
    mine = await referral_of(referral, case_id, "issued")
    url = f"/v1/referrals/{mine['referral_id']}"

    unknown_reason = await referral.client.post(f"{url}/withdraw", json={"reason": "bored"})
    assert unknown_reason.status_code == 422
    assert unknown_reason.json()["errors"][0]["pointer"] == "/reason"
    nobody = await referral.client.post(f"/v1/referrals/{uuid4()}/withdraw", json={"reason": "other"})
    assert nobody.status_code == 404

    # another programme's caseworker: as if it did not exist
    _, token = await referral.app.state.identity.add_user(
        f"elsewhere-{uuid4().hex[:6]}", Role.CASEWORKER, programmes=["DE-STARTHILFEPLUS"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, body in (
        ("POST", f"{url}/withdraw", {"reason": "other"}),
        ("GET", f"{url}/eligible-partners", None),
        ("POST", f"{url}/reroute", {"partner_id": "kumanovo-shelter"}),
        ("POST", f"{url}/hold", None),
    ):
        outside = await referral.client.request(method, path, json=body, headers=headers)
        assert outside.status_code == 404, (path, outside.text)
    # who may not see which partner holds a referral may not act on one
    admin = {"Authorization": f"Bearer {referral.tokens[Role.ADMIN]}"}
    refused = await referral.client.post(f"{url}/withdraw", json={"reason": "other"}, headers=admin)
    assert refused.status_code == 403
    # nothing happened to the referral
    assert (await referral_of(referral, case_id, "issued"))["referral_id"] == mine["referral_id"]


async def test_a_caseworker_reroutes_to_an_eligible_partner_never_one_that_declined(
    referral: RunningReferral,
) -> None:
    case_id = await assessed(referral, "skopje")
    [first] = await published(referral, key=case_id, type="ReferralIssued", count=1)
    holder = first.data["partner_id"]
    other = ({"skopje-homes-a", "skopje-homes-b"} - {holder}).pop()
    referral_id = first.data["referral_id"]

    # only the other Skopje partner: not the holder, not another municipality's
    assert await eligible(referral, referral_id) == [other]
    refused = await referral.client.post(
        f"/v1/referrals/{referral_id}/reroute", json={"partner_id": "bitola-homes"}
    )
    assert refused.status_code == 409
    assert "may not take this referral" in refused.json()["detail"]

    moved = await referral.client.post(f"/v1/referrals/{referral_id}/reroute", json={"partner_id": other})
    assert moved.status_code == 200, moved.text
    new = moved.json()
    assert (new["partner_id"], new["status"], new["previous_referral_id"]) == (other, "issued", referral_id)

    [withdrawn] = await published(
        referral, key=case_id, type="ReferralWithdrawn", count=1, topic=f"referrals.{holder}.v1"
    )
    assert (withdrawn.data["referral_id"], withdrawn.data["reason"]) == (referral_id, "rerouted")
    [issued] = await published(
        referral, key=case_id, type="ReferralIssued", count=1, topic=f"referrals.{other}.v1"
    )
    assert issued.data["referral_id"] == new["referral_id"]
    assert issued.envelope["correlation_id"] == first.envelope["correlation_id"]
    await published(referral, key=case_id, type="ReferralStatusChanged", count=3)
    assert statuses(referral, case_id) == [
        ("housing", "issued"),
        ("housing", "withdrawn"),
        ("housing", "issued"),
    ]

    # the new partner declines: the one re-routed from may take it, the decliner never
    await referral.reply(answer(issued, "decline"))
    [again] = (await published(referral, key=case_id, type="ReferralIssued", count=3))[2:]
    assert again.data["partner_id"] == holder
    assert await eligible(referral, again.data["referral_id"]) == []  # holder holds it, `other` declined
    refused = await referral.client.post(
        f"/v1/referrals/{again.data['referral_id']}/reroute", json={"partner_id": other}
    )
    assert refused.status_code == 409


async def test_an_unplaced_referral_is_placed_by_hand_once_a_partner_has_room(
    referral: RunningReferral,
) -> None:
    first = await assessed(referral, "veles")  # takes Veles Homes' only place
    waiting = await assessed(referral, "veles", status="unplaced")
    pending = await referral_of(referral, waiting, "unplaced")

    assert await eligible(referral, pending["referral_id"]) == []  # full
    full = await referral.client.post(
        f"/v1/referrals/{pending['referral_id']}/place", json={"partner_id": "veles-homes"}
    )
    assert full.status_code == 409

    holding = await referral_of(referral, first, "issued")
    freed = await referral.client.post(
        f"/v1/referrals/{holding['referral_id']}/withdraw", json={"reason": "no_longer_needed"}
    )
    assert freed.status_code == 200
    assert await eligible(referral, pending["referral_id"]) == ["veles-homes"]
    placed = await referral.client.post(
        f"/v1/referrals/{pending['referral_id']}/place", json={"partner_id": "veles-homes"}
    )
    assert placed.status_code == 200, placed.text
    assert (placed.json()["referral_id"], placed.json()["status"]) == (pending["referral_id"], "issued")

    [issued] = await published(
        referral, key=waiting, type="ReferralIssued", count=1, topic="referrals.veles-homes.v1"
    )
    assert issued.data["referral_id"] == pending["referral_id"]
    await published(referral, key=waiting, type="ReferralStatusChanged", count=2)
    assert last_status(referral, waiting) | {"partner_id": None} == last_status(referral, waiting) | {
        "status": "issued",
        "previous_status": "unplaced",
        "reason": "placed_by_hand",
        "partner_id": None,
    }
    # placed: it is no longer one to place by hand
    again = await referral.client.post(
        f"/v1/referrals/{pending['referral_id']}/place", json={"partner_id": "veles-homes"}
    )
    assert again.status_code == 409


async def test_an_unplaced_referral_is_issued_when_a_place_frees(referral: RunningReferral) -> None:
    pool, context = referral.app.state.pool, referral.app.state.context
    first = await assessed(referral, "prilep")
    waiting = await assessed(referral, "prilep", status="unplaced")
    now = datetime.now().astimezone()

    assert await retry_unplaced(pool, context, now) == 0  # still full: nothing to do
    [holding] = await published(referral, key=first, type="ReferralIssued", count=1)
    await referral.reply(answer(holding, "decline"))  # its place frees; first is unplaced now
    await published(referral, key=first, type="ReferralStatusChanged", count=3)

    assert await retry_unplaced(pool, context, now) == 1  # the waiting case, not the decliner's
    [issued] = await published(
        referral, key=waiting, type="ReferralIssued", count=1, topic="referrals.prilep-homes.v1"
    )
    assert last_status(referral, waiting)["reason"] == "place_freed"
    assert (await referral_of(referral, waiting, "issued"))["referral_id"] == issued.data["referral_id"]
    assert (await referral_of(referral, first, "unplaced"))["partner_id"] is None  # never back to it
    assert await retry_unplaced(pool, context, now) == 0


async def escalated(referral: RunningReferral) -> tuple[UUID, Seen, datetime]:
    case_id = await assessed(referral, "tetovo")
    [issued] = await published(referral, key=case_id, type="ReferralIssued", count=1)
    respond_by = datetime.fromisoformat(issued.data["respond_by"])
    await escalate_overdue(referral.app.state.pool, referral.topics, respond_by + timedelta(seconds=1))
    await published(referral, key=case_id, type="ReferralEscalated", count=1)
    return case_id, issued, respond_by


async def test_an_escalated_referral_is_rerouted_after_its_second_deadline(
    referral: RunningReferral,
) -> None:
    pool, context = referral.app.state.pool, referral.app.state.context
    after = timedelta(hours=48)
    case_id, issued, respond_by = await escalated(referral)
    holder = issued.data["partner_id"]
    other = ({"tetovo-homes-a", "tetovo-homes-b"} - {holder}).pop()

    assert await reroute_escalations(pool, context, respond_by + after - timedelta(seconds=1), after) == 0
    assert await reroute_escalations(pool, context, respond_by + after, after) >= 1

    [withdrawn] = await published(
        referral, key=case_id, type="ReferralWithdrawn", count=1, topic=f"referrals.{holder}.v1"
    )
    assert withdrawn.data["reason"] == "no_answer_rerouted"
    [new] = await published(
        referral, key=case_id, type="ReferralIssued", count=1, topic=f"referrals.{other}.v1"
    )
    await published(referral, key=case_id, type="ReferralStatusChanged", count=4)
    assert statuses(referral, case_id) == [
        ("housing", "issued"),
        ("housing", "escalated"),
        ("housing", "withdrawn"),
        ("housing", "issued"),
    ]
    assert new.envelope["correlation_id"] == issued.envelope["correlation_id"]


async def test_a_held_escalation_is_not_rerouted_until_released(referral: RunningReferral) -> None:
    pool, context = referral.app.state.pool, referral.app.state.context
    after = timedelta(hours=48)
    case_id, issued, respond_by = await escalated(referral)
    url = f"/v1/referrals/{issued.data['referral_id']}"

    held = await referral.client.post(f"{url}/hold")
    assert held.status_code == 200, held.text
    assert held.json()["held_at"] is not None
    assert (await referral.client.post(f"{url}/hold")).status_code == 409  # already held
    [event] = await published(referral, key=case_id, type="ReferralHeld", count=1)
    assert event.topic == "referral.status.v1"

    await reroute_escalations(pool, context, respond_by + after + timedelta(hours=1), after)
    assert (await referral_of(referral, case_id, "escalated"))["held_at"] is not None
    assert referral.recorder.find(key=case_id, type="ReferralWithdrawn") == []

    released = await referral.client.post(f"{url}/release")
    assert released.status_code == 200
    assert released.json()["held_at"] is None
    await published(referral, key=case_id, type="ReferralReleased", count=1)
    assert (await referral.client.post(f"{url}/release")).status_code == 409  # not held
    await reroute_escalations(pool, context, respond_by + after + timedelta(hours=1), after)
    [withdrawn] = await published(referral, key=case_id, type="ReferralWithdrawn", count=1)
    assert withdrawn.data["reason"] == "no_answer_rerouted"
    # no partner was told of the hold
    assert referral.recorder.find(topic="referrals.*", key=case_id, type="ReferralHeld") == []


async def test_only_an_escalated_referral_is_held(referral: RunningReferral) -> None:
    case_id = await assessed(referral, "kumanovo")
    mine = await referral_of(referral, case_id, "issued")
    refused = await referral.client.post(f"/v1/referrals/{mine['referral_id']}/hold")
    assert refused.status_code == 409
    assert "only an escalated referral is held" in refused.json()["detail"]
