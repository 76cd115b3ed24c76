"""The partner portal (issue 15, point 4) on the real broker and database: a partner's staff read
what their partner was sent and answer on the page; the answer travels as a Kafka partner's does
(the same event, on the partner's own answer topic, through referral's outbox, applied by the same
consumer), so both produce the same events; another partner's referral is not there."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from services.referral.use_cases import portal
from services.referral.use_cases.escalation import escalate_overdue
from shared.events import Category
from shared.identity.model import Role
from tests.support import TEST_PASSWORD, add_person, eventually, sign_in

from .checks import published
from .conftest import RunningReferral
from .events import answer, needs_assessed
from .recorder import Seen

pytestmark = pytest.mark.integration

H = Category.HOUSING
KUMANOVO_HOMES, SKOPJE_A, SKOPJE_B = "kumanovo-homes", "skopje-homes-a", "skopje-homes-b"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


async def staff_of(referral: RunningReferral, partner_id: str) -> tuple[httpx.AsyncClient, str]:
    """A partner's staff member, signed in on the portal: a client holding their session cookie."""
    name = f"staff-{partner_id}-{uuid4().hex[:8]}"
    user, _ = await add_person(referral.app.state.identity, name, Role.PARTNER, partner_id=partner_id)
    session = await sign_in(referral.client, name, TEST_PASSWORD)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=referral.app), base_url="http://referral.test", headers=session
    )
    return client, str(user.id)


async def issued_to(referral: RunningReferral, partner_id: str, municipality: str) -> Seen:
    event = needs_assessed(municipality=municipality, needs=[H])
    await referral.send(referral.topics.returnees, event)
    (issued,) = await published(referral, key=event.key, type="ReferralIssued", count=1, topic="referrals.*")
    assert issued.topic == f"referrals.{partner_id}.v1"
    return issued


async def answer_on_page(
    staff: httpx.AsyncClient, referral_id: str, decision: str, text: str = "", **more: str
) -> httpx.Response:
    form = {"answer": decision, "reason" if decision == "decline" else "outcome": text, **more}
    return await staff.post(f"/portal/referrals/{referral_id}/answer", data=form)


def conversation(referral: RunningReferral, case_id: str) -> list[dict[str, Any]]:
    """Every record about the case on every topic (the partners' referral and answer topics and
    referral.status.v1), each topic in its order, with ids and times replaced by placeholders in
    the order they first appear: two conversations of the same shape compare equal."""
    records = sorted(
        (s for s in referral.recorder.find(key=case_id) if not s.topic.startswith("intake.")),
        key=lambda s: (s.topic, s.offset),
    )
    names: dict[str, str] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, str):
            try:
                UUID(value)
            except ValueError:
                return "<time>" if DATETIME.match(value) else value
            return names.setdefault(value, f"<id {len(names)}>")
        return value

    return [{"topic": s.topic, **plain(s.envelope)} for s in records]


async def test_an_answer_on_the_portal_and_a_kafka_partners_answer_produce_the_same_events(
    referral: RunningReferral,
) -> None:
    staff, _ = await staff_of(referral, KUMANOVO_HOMES)
    on_kafka = await issued_to(referral, KUMANOVO_HOMES, "kumanovo")
    on_page = await issued_to(referral, KUMANOVO_HOMES, "kumanovo")

    await referral.reply(answer(on_kafka, "accept"))
    accepted = await answer_on_page(staff, on_page.data["referral_id"], "accept")
    assert accepted.status_code == 303, accepted.text
    for case in (on_kafka.key, on_page.key):
        await published(referral, key=case, type="ReferralStatusChanged", count=2, topic="referral.status.v1")
    await referral.reply(answer(on_kafka, "complete"))  # outcome "placed"
    completed = await answer_on_page(staff, on_page.data["referral_id"], "complete", "placed")
    assert completed.status_code == 303, completed.text
    for case in (on_kafka.key, on_page.key):
        await published(referral, key=case, type="ReferralStatusChanged", count=3, topic="referral.status.v1")

    by_kafka, by_page = conversation(referral, on_kafka.key), conversation(referral, on_page.key)
    assert by_page == by_kafka
    # issued; accepted and completed on the partner's answer topic; three status changes
    assert [(r["topic"].split(".")[0], r["type"]) for r in by_kafka] == [
        ("referral", "ReferralAccepted"),
        ("referral", "ReferralCompleted"),
        ("referral", "ReferralStatusChanged"),
        ("referral", "ReferralStatusChanged"),
        ("referral", "ReferralStatusChanged"),
        ("referrals", "ReferralIssued"),
    ]
    answers = [r for r in by_page if r["topic"] == f"referral.responses.{KUMANOVO_HOMES}.v1"]
    assert [(a["type"], a["producer"]) for a in answers] == [
        ("ReferralAccepted", KUMANOVO_HOMES),
        ("ReferralCompleted", KUMANOVO_HOMES),
    ]
    # the portal's answer, as a partner writes it: the referral's conversation, caused by the
    # ReferralIssued it answers
    page_answers = referral.recorder.find(topic=f"referral.responses.{KUMANOVO_HOMES}.v1", key=on_page.key)
    for record in page_answers:
        assert record.envelope["correlation_id"] == on_page.envelope["correlation_id"]
        assert record.envelope["causation_id"] == on_page.envelope["event_id"]
    await staff.aclose()


async def test_a_decline_on_the_portal_re_routes_as_a_kafka_partners_does(referral: RunningReferral) -> None:
    first = await issued_to_any(referral, "skopje")
    second = await issued_to_any(referral, "skopje")
    holder_1, holder_2 = first.data["partner_id"], second.data["partner_id"]
    await referral.reply(answer(first, "decline"))  # reason "no family rooms free"
    staff, _ = await staff_of(referral, holder_2)
    declined = await answer_on_page(staff, second.data["referral_id"], "decline", "no family rooms free")
    assert declined.status_code == 303, declined.text
    for case in (first.key, second.key):
        await published(referral, key=case, type="ReferralIssued", count=2, topic="referrals.*")
        await published(referral, key=case, type="ReferralStatusChanged", count=3, topic="referral.status.v1")
    if holder_1 == holder_2:  # the same partners in the same order: the conversations are alike
        assert conversation(referral, second.key) == conversation(referral, first.key)
    # either way, each went on to the other Skopje partner, never back to the one that declined
    for record, holder in ((first, holder_1), (second, holder_2)):
        reissued = referral.recorder.find(topic="referrals.*", key=record.key, type="ReferralIssued")[-1]
        assert reissued.data["partner_id"] == ({SKOPJE_A, SKOPJE_B} - {holder}).pop()
    await staff.aclose()


async def issued_to_any(referral: RunningReferral, municipality: str) -> Seen:
    event = needs_assessed(municipality=municipality, needs=[H])
    await referral.send(referral.topics.returnees, event)
    (issued,) = await published(referral, key=event.key, type="ReferralIssued", count=1, topic="referrals.*")
    return issued


async def test_the_portal_shows_exactly_what_the_partners_topic_carried(referral: RunningReferral) -> None:
    staff, user_id = await staff_of(referral, KUMANOVO_HOMES)
    issued = await issued_to(referral, KUMANOVO_HOMES, "kumanovo")
    user = await referral.app.state.identity.active_user(UUID(user_id))

    shown = await portal.open_referral(
        referral.app.state.pool, referral.app.state.context, user, UUID(issued.data["referral_id"])
    )
    assert shown.sent.model_dump(mode="json") == issued.data
    listed = await portal.open_referrals(referral.app.state.pool, referral.app.state.context, user)
    assert issued.data["referral_id"] in {str(r.sent.referral_id) for r in listed}
    page = await staff.get(f"/portal/referrals/{issued.data['referral_id']}")
    assert page.status_code == 200
    assert str(issued.data["payload"]["household_size"]) in page.text
    await staff.aclose()


async def test_another_partners_referral_is_not_there_and_cannot_be_answered(
    referral: RunningReferral,
) -> None:
    issued = await issued_to(referral, KUMANOVO_HOMES, "kumanovo")
    referral_id = issued.data["referral_id"]
    other, _ = await staff_of(referral, SKOPJE_A)

    assert (await other.get(f"/portal/referrals/{referral_id}")).status_code == 404
    listing = await other.get("/portal")
    assert listing.status_code == 200
    assert referral_id not in listing.text
    for decision, text in (("accept", ""), ("decline", "not ours"), ("complete", "done")):
        # a form naming the referral's partner changes nothing: the session decides the partner
        refused = await answer_on_page(other, referral_id, decision, text, partner_id=KUMANOVO_HOMES)
        assert refused.status_code == 404, refused.text
    # nothing was queued or sent for anyone
    pool = referral.app.state.pool
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND topic LIKE '%responses%'", issued.key
        )
        == 0
    )
    assert (
        await pool.fetchval("SELECT count(*) FROM portal_answers WHERE referral_id = $1", UUID(referral_id))
        == 0
    )
    assert referral.recorder.find(topic="referral.responses.*", key=issued.key) == []
    # and its own partner still can
    own, _ = await staff_of(referral, KUMANOVO_HOMES)
    assert (await answer_on_page(own, referral_id, "accept")).status_code == 303
    await published(referral, key=issued.key, type="ReferralAccepted", count=1, topic="referral.responses.*")
    await other.aclose()
    await own.aclose()


async def test_a_decline_without_a_reason_is_refused_beside_its_field_and_nothing_is_sent(
    referral: RunningReferral,
) -> None:
    staff, _ = await staff_of(referral, KUMANOVO_HOMES)
    issued = await issued_to(referral, KUMANOVO_HOMES, "kumanovo")

    refused = await answer_on_page(staff, issued.data["referral_id"], "decline", "   ")
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text
    early = await answer_on_page(staff, issued.data["referral_id"], "complete", "placed")  # not accepted yet
    assert early.status_code == 422
    pool = referral.app.state.pool
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND topic LIKE '%responses%'", issued.key
        )
        == 0
    )

    # an answer on its way takes no second one (they could cross and the second be dead-lettered)
    assert (await answer_on_page(staff, issued.data["referral_id"], "accept")).status_code == 303

    async def applied() -> bool:
        page = await staff.get(f"/portal/referrals/{issued.data['referral_id']}")
        return "Mark as completed" in page.text

    await eventually(applied, what="the acceptance applied and completion offered")
    await staff.aclose()


async def test_only_a_partners_staff_use_the_portal(referral: RunningReferral) -> None:
    name = f"caseworker-{uuid4().hex[:8]}"
    await add_person(referral.app.state.identity, name, Role.CASEWORKER)
    session = await sign_in(referral.client, name, TEST_PASSWORD)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=referral.app), base_url="http://referral.test", headers=session
    ) as caseworker:
        assert (await caseworker.get("/portal")).status_code == 403
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=referral.app), base_url="http://referral.test"
    ) as nobody:
        answer_page = await nobody.get("/portal")
        assert answer_page.status_code == 200
        assert 'action="/signin"' in answer_page.text  # the sign-in form, in place
    # and a partner's staff use none of referral's API
    staff, _ = await staff_of(referral, KUMANOVO_HOMES)
    for path in ("/v1/referrals", "/v1/referrals/unplaced", "/v1/partners", "/v1/access-log"):
        assert (await staff.get(path)).status_code == 403, path
    await staff.aclose()


async def test_an_answer_on_its_way_holds_the_next_one_even_when_the_sweep_escalates_meanwhile(
    referral: RunningReferral,
) -> None:
    staff, user_id = await staff_of(referral, "stip-quick-homes")  # a one-hour deadline
    issued = await issued_to(referral, "stip-quick-homes", "stip")
    referral_id = UUID(issued.data["referral_id"])
    pool = referral.app.state.pool
    # an acceptance sent from the portal while the referral was issued, not applied yet
    await pool.execute(
        "INSERT INTO portal_answers (event_id, referral_id, partner_id, answer, status_before, answered_by)"
        " VALUES ($1, $2, 'stip-quick-homes', 'accept', 'issued', $3)",
        uuid4(),
        referral_id,
        UUID(user_id),
    )
    await escalate_overdue(pool, referral.topics, datetime.now(UTC) + timedelta(hours=2))
    assert (
        await pool.fetchval("SELECT status FROM referrals WHERE referral_id = $1", referral_id) == "escalated"
    )

    page = await staff.get(f"/portal/referrals/{referral_id}")
    assert "Answer on its way" in page.text
    assert 'value="decline"' not in page.text
    refused = await answer_on_page(staff, str(referral_id), "decline", "no rooms after all")
    assert refused.status_code == 422
    assert await pool.fetchval("SELECT count(*) FROM portal_answers WHERE referral_id = $1", referral_id) == 1
    await staff.aclose()
