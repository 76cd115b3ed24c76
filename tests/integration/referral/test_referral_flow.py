"""Referrals on the real broker and database: issued, re-routed, escalated, withdrawn, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.referral.consumers import RESPONSES_CONSUMER
from services.referral.core.payloads import DECLARED_VULNERABILITIES
from services.referral.use_cases.escalation import escalate_overdue
from shared.events import Category, Urgency, Vulnerability
from shared.metrics import topic_label
from tests.support import eventually

from .checks import VULNERABILITY_CODES, consumed_to_the_end, metric, published, statuses
from .conftest import RunningReferral
from .events import answer, case_closed, consent_changed, needs_assessed, plan_approved, returnee_registered

pytestmark = pytest.mark.integration

H, E, J, C = Category.HOUSING, Category.EDUCATION, Category.EMPLOYMENT, Category.COUNSELLING


async def test_needs_assessed_issues_one_referral_per_consented_need_to_the_right_partners(
    referral: RunningReferral,
) -> None:
    event = needs_assessed(
        municipality="kumanovo",
        needs=[H, E, J, C],
        consent={H: True, E: True, J: True, C: False},
        vulnerabilities=[Vulnerability.VICTIM_OF_TRAFFICKING, Vulnerability.SINGLE_PARENT],
        urgency=Urgency.HIGH,
    )
    case_id = event.key
    await referral.send(referral.topics.returnees, event)

    issued = await published(referral, key=case_id, type="ReferralIssued", count=3, topic="referrals.*")
    await published(referral, key=case_id, type="ReferralStatusChanged", count=4)
    by_topic = {s.topic: s.data for s in referral.recorder.find(topic="referrals.*", key=case_id)}
    assert sorted(by_topic) == [
        "referrals.kumanovo-classes.v1",
        "referrals.kumanovo-jobs.v1",
        "referrals.kumanovo-shelter.v1",  # the specialised shelter before the general housing partner
    ]
    assert len(issued) == 3
    # the caseworker's urgency, whatever the vulnerabilities
    assert {d["category"]: d["priority"] for d in by_topic.values()} == {
        "housing": "high",
        "education": "high",
        "employment": "high",
    }
    assert by_topic["referrals.kumanovo-classes.v1"]["payload"] == {
        "school_age_members": [{"age": 10, "school_level": "primary"}],
        "vulnerabilities": [],
    }
    # housing declares trafficking (the shelter must know); nothing else reaches any partner
    assert by_topic["referrals.kumanovo-shelter.v1"]["payload"]["vulnerabilities"] == [
        "victim_of_trafficking"
    ]
    for record in issued:
        assert record.headers["event_type"] == "ReferralIssued"
        assert record.envelope["correlation_id"] == str(event.correlation_id)
        declared = DECLARED_VULNERABILITIES[Category(record.envelope["data"]["category"])]
        told = [code for code in VULNERABILITY_CODES if code in record.value.decode()]
        assert set(told) <= {v.value for v in declared}
    # counselling had no consent: reported, not sent
    assert sorted(statuses(referral, case_id)) == [
        ("counselling", "needs_consent"),
        ("education", "issued"),
        ("employment", "issued"),
        ("housing", "issued"),
    ]
    assert referral.recorder.find(topic="referrals.kumanovo-care.v1", key=case_id) == []

    listed = (await referral.client.get("/v1/referrals", params={"case_id": str(case_id)})).json()[
        "referrals"
    ]
    assert sorted((r["category"], r["status"], r["partner_id"]) for r in listed) == [
        ("counselling", "needs_consent", None),
        ("education", "issued", "kumanovo-classes"),
        ("employment", "issued", "kumanovo-jobs"),
        ("housing", "issued", "kumanovo-shelter"),
    ]


async def test_an_event_delivered_twice_takes_effect_once(referral: RunningReferral) -> None:
    event = needs_assessed(municipality="kumanovo", needs=[J])
    await referral.send(referral.topics.returnees, event)
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    accepted = answer(issued, "accept")
    own_topic = referral.topics.partner_responses(issued.data["partner_id"])
    # (the series names every partner's answer topic alike: shared/metrics.py)
    redelivered = {"consumer": RESPONSES_CONSUMER, "topic": topic_label(own_topic.name)}
    before = await metric(referral, "homeward_events_redelivered_total", **redelivered)
    await referral.reply(accepted)
    await referral.reply(accepted)  # a partner's retry: the same event, the same event id
    # both copies handled before the case closes (the topics are read by separate consumers)
    await consumed_to_the_end(referral, own_topic, RESPONSES_CONSUMER)
    # the inbox knew the copy (a copy with a new event id would be a repeated answer: no change either)
    assert await metric(referral, "homeward_events_redelivered_total", **redelivered) == before + 1
    marker = case_closed(UUID(event.key))  # after both copies in the case's partition
    await referral.send(referral.topics.returnees, marker)
    await eventually(lambda: referral.inbox_has(marker.event_id), what="the marker to be consumed")
    await published(referral, key=event.key, type="ReferralWithdrawn", count=1)
    await published(referral, key=event.key, type="ReferralStatusChanged", count=3)

    assert len(referral.recorder.find(key=event.key, type="ReferralIssued")) == 1
    assert statuses(referral, event.key) == [
        ("employment", "issued"),
        ("employment", "accepted"),  # once
        ("employment", "withdrawn"),
    ]
    assert referral.recorder.find(topic="referral.responses.dlq", key=event.key) == []


async def test_a_decline_re_routes_to_the_next_partner_and_then_to_the_caseworker(
    referral: RunningReferral,
) -> None:
    event = needs_assessed(municipality="skopje", needs=[H])
    await referral.send(referral.topics.returnees, event)
    [first] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    await referral.reply(answer(first, "decline"))

    second = (await published(referral, key=event.key, type="ReferralIssued", count=2))[1]
    assert {first.data["partner_id"], second.data["partner_id"]} == {"skopje-homes-a", "skopje-homes-b"}
    assert second.envelope["correlation_id"] == first.envelope["correlation_id"]

    await referral.reply(answer(second, "decline"))
    await published(referral, key=event.key, type="ReferralStatusChanged", count=5)
    assert statuses(referral, event.key) == [
        ("housing", "issued"),
        ("housing", "declined"),
        ("housing", "issued"),
        ("housing", "declined"),
        ("housing", "unplaced"),  # nobody left: the caseworker's list
    ]
    unplaced = (await referral.client.get("/v1/referrals/unplaced")).json()["referrals"]
    [mine] = [r for r in unplaced if r["case_id"] == event.key]
    assert (mine["category"], mine["partner_id"]) == ("housing", None)
    assert len(referral.recorder.find(topic="referrals.*", key=event.key)) == 2  # nobody asked twice


async def test_a_referral_past_its_deadline_is_escalated_once(referral: RunningReferral) -> None:
    event = needs_assessed(municipality="stip", needs=[H])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    respond_by = datetime.fromisoformat(issued.data["respond_by"])

    pool, topics = referral.app.state.pool, referral.topics
    assert await escalate_overdue(pool, topics, respond_by - timedelta(seconds=1)) == 0
    assert await escalate_overdue(pool, topics, respond_by + timedelta(seconds=1)) == 1
    assert await escalate_overdue(pool, topics, respond_by + timedelta(hours=5)) == 0

    [escalated] = await published(referral, key=event.key, type="ReferralEscalated", count=1)
    assert escalated.topic == "referral.status.v1"
    assert escalated.data["referral_id"] == issued.data["referral_id"]
    assert escalated.data["deadline"] == issued.data["respond_by"]
    await published(referral, key=event.key, type="ReferralStatusChanged", count=2)
    # an escalated referral can still be answered
    await referral.reply(answer(issued, "accept"))
    await published(referral, key=event.key, type="ReferralStatusChanged", count=3)
    assert statuses(referral, event.key) == [
        ("housing", "issued"),
        ("housing", "escalated"),
        ("housing", "accepted"),
    ]
    assert len(referral.recorder.find(key=event.key, type="ReferralEscalated")) == 1


async def test_escalations_are_counted_on_the_metrics_endpoint(referral: RunningReferral) -> None:
    async def escalated_so_far() -> float:
        page = await referral.client.get("/metrics")
        assert page.status_code == 200
        samples = [
            sample.value
            for family in text_string_to_metric_families(page.text)
            for sample in family.samples
            if sample.name == "homeward_referrals_escalated_total"
        ]
        return sum(samples)

    event = needs_assessed(municipality="stip", needs=[H])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    respond_by = datetime.fromisoformat(issued.data["respond_by"])
    before = await escalated_so_far()

    escalated = await escalate_overdue(
        referral.app.state.pool, referral.topics, respond_by + timedelta(seconds=1)
    )

    assert escalated >= 1  # this case's referral, and any other of the module's overdue by then
    assert await escalated_so_far() == before + escalated


async def test_consent_and_closure_withdraw_referrals_from_their_partners(referral: RunningReferral) -> None:
    event = needs_assessed(municipality="kumanovo", needs=[H, J, C], consent={H: True, J: True, C: False})
    case_id = UUID(event.key)
    await referral.send(referral.topics.returnees, event)
    await published(referral, key=case_id, type="ReferralIssued", count=2)

    # counselling granted, employment withdrawn
    changed = consent_changed(case_id, {H: True, J: False, C: True}, granted=[C], withdrawn=[J])
    await referral.send(referral.topics.returnees, changed)
    [withdrawn] = await published(referral, key=case_id, type="ReferralWithdrawn", count=1)
    assert (withdrawn.topic, withdrawn.data["reason"]) == ("referrals.kumanovo-jobs.v1", "consent_withdrawn")
    # and the partner that held it is asked to delete what it was sent
    [erase] = await published(referral, key=case_id, type="ErasureRequested", count=1)
    assert (erase.topic, erase.data["reason"], erase.data["referral_ids"]) == (
        "referrals.kumanovo-jobs.v1",
        "consent_withdrawn",
        [withdrawn.data["referral_id"]],
    )
    [care] = await published(
        referral, key=case_id, type="ReferralIssued", count=1, topic="referrals.kumanovo-care.v1"
    )
    assert care.data["payload"] == {"ages": [31, 10], "vulnerabilities": []}

    await referral.send(referral.topics.returnees, case_closed(case_id))
    ended = await published(referral, key=case_id, type="ReferralWithdrawn", count=3)
    assert sorted((s.topic, s.data["reason"]) for s in ended[1:]) == [
        ("referrals.kumanovo-care.v1", "case_closed"),
        ("referrals.kumanovo-homes.v1", "case_closed"),
    ]
    listed = (await referral.client.get("/v1/referrals", params={"case_id": str(case_id)})).json()[
        "referrals"
    ]
    assert {r["status"] for r in listed} == {"withdrawn"}


async def test_a_registration_with_needs_issues_referrals_and_events_for_others_are_skipped(
    referral: RunningReferral,
) -> None:
    silent, busy = uuid4(), uuid4()
    without_needs = returnee_registered(silent, needs=[])
    plan = plan_approved(silent)  # grants' business: recorded in the inbox, nothing else
    with_needs = returnee_registered(busy, needs=[H])
    for event in (without_needs, plan, with_needs):
        await referral.send(referral.topics.returnees, event)

    [issued] = await published(referral, key=busy, type="ReferralIssued", count=1)
    assert issued.topic == "referrals.bitola-homes.v1"
    await eventually(lambda: referral.inbox_has(plan.event_id), what="the plan event to be recorded")
    assert await referral.inbox_has(without_needs.event_id)
    assert referral.recorder.find(topic="referral*", key=silent) == []  # nothing issued, no status
