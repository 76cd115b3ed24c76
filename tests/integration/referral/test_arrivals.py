"""Reception and transport on the real broker and database: issued on the announcement to the
partners of the arrival point (and destination), answerable a margin before landing; a changed
flight reissues them with deadlines moved; the arrival issues the rest and leaves an accepted
reception to its partner, whatever the assessment says; a missed arrival withdraws everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from shared.events import Category, Envelope, new_envelope
from shared.events.codes import ArrivalMetBy, ArrivalMode
from shared.events.intake import (
    ArrivalAnnounced,
    ArrivalConfirmed,
    ArrivalMissed,
    ArrivalRescheduled,
    CaseFacts,
    ExpectedArrival,
)
from tests.support import eventually

from .checks import published
from .conftest import RunningReferral
from .events import ADULT_WOMAN, DAUGHTER, answer, needs_assessed

pytestmark = pytest.mark.integration

R, T, H, E = Category.AIRPORT_RECEPTION, Category.TRANSPORT, Category.HOUSING, Category.EDUCATION
NEEDS = [R, T, H, E]


def trip(scheduled: datetime, number: str = "W6 4321") -> ExpectedArrival:
    return ExpectedArrival(
        mode=ArrivalMode.FLIGHT,
        carrier="Wizz Air",
        number=number,
        arrival_point="SKP",
        scheduled_at=scheduled,
        meeting_code="KQ7-M2X",
    )


def facts(case_id: UUID, arrival: ExpectedArrival | None) -> dict[str, object]:
    return {
        "case_id": case_id,
        "programme_id": "NL-AVRR",
        "municipality": "kumanovo",
        "household": [ADULT_WOMAN, DAUGHTER],
        "needs": NEEDS,
        "consent": dict.fromkeys(NEEDS, True),
        "expected_arrival": arrival,
    }


def envelope(event: CaseFacts | ArrivalMissed, case_id: UUID) -> Envelope:
    return new_envelope(event, key=case_id, producer="intake")


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


async def test_reception_and_transport_follow_the_flight_and_stay_with_their_partner_after_arrival(
    referral: RunningReferral,
) -> None:
    case_id = uuid4()
    scheduled = hour(datetime.now(UTC)) + timedelta(days=5)
    announced = ArrivalAnnounced(
        **facts(case_id, trip(scheduled)),
        country_of_return="MK",
        sending_country="NL",
        announced_by="mission-1",
    )
    await referral.send(referral.topics.returnees, envelope(announced, case_id))
    first = await published(referral, key=case_id, type="ReferralIssued", count=3, topic="referrals.*")
    by_topic = {s.topic: s.data for s in first}
    assert sorted(by_topic) == [
        "referrals.kumanovo-homes.v1",
        "referrals.kumanovo-van.v1",
        "referrals.skopje-gate.v1",
    ]
    gate, van = by_topic["referrals.skopje-gate.v1"], by_topic["referrals.kumanovo-van.v1"]
    # measured back from the landing, by each partner's own margin
    assert datetime.fromisoformat(gate["respond_by"]) == scheduled - timedelta(hours=24)
    assert datetime.fromisoformat(van["respond_by"]) == scheduled - timedelta(hours=12)
    assert gate["payload"]["meeting_code"] == "KQ7-M2X"
    assert gate["payload"]["travellers"] == [{"age": 31, "sex": "female"}, {"age": 10, "sex": "female"}]
    assert "meeting_code" not in van["payload"]

    # the reception team accepts; then the flight moves a day earlier
    [gate_issued] = [s for s in first if s.topic == "referrals.skopje-gate.v1"]
    await referral.reply(answer(gate_issued, "accept"))
    await published(referral, key=case_id, type="ReferralStatusChanged", count=4, topic="referral.status.v1")
    earlier = scheduled - timedelta(days=1)
    moved = ArrivalRescheduled(
        **facts(case_id, trip(earlier, "W6 4325")),
        previous_scheduled_at=scheduled,
        rescheduled_by="mission-1",
    )
    await referral.send(referral.topics.returnees, envelope(moved, case_id))
    again = await published(referral, key=case_id, type="ReferralIssued", count=5, topic="referrals.*")
    new = {
        s.topic: s.data
        for s in again
        if s.data["referral_id"] not in {d["referral_id"] for d in by_topic.values()}
    }
    assert sorted(new) == ["referrals.kumanovo-van.v1", "referrals.skopje-gate.v1"]
    assert datetime.fromisoformat(new["referrals.skopje-gate.v1"]["respond_by"]) == earlier - timedelta(
        hours=24
    )
    assert datetime.fromisoformat(new["referrals.kumanovo-van.v1"]["respond_by"]) == earlier - timedelta(
        hours=12
    )
    assert new["referrals.skopje-gate.v1"]["payload"]["number"] == "W6 4325"
    withdrawn = await published(referral, key=case_id, type="ReferralWithdrawn", count=2, topic="referrals.*")
    assert {(s.data["referral_id"], s.data["reason"]) for s in withdrawn} == {
        (gate["referral_id"], "arrival_rescheduled"),
        (van["referral_id"], "arrival_rescheduled"),
    }

    # reception accepts the new flight; the family lands; transport never answered
    [gate_again] = [
        s for s in again if s.data["referral_id"] == new["referrals.skopje-gate.v1"]["referral_id"]
    ]
    await referral.reply(answer(gate_again, "accept"))
    await published(referral, key=case_id, type="ReferralStatusChanged", count=9, topic="referral.status.v1")
    landed = ArrivalConfirmed(
        **(facts(case_id, None) | {"arrival_date": earlier.date()}),
        arrived_at=earlier,
        scheduled_at=earlier,
        met_by=ArrivalMetBy.OFFICE_RECEPTION_TEAM,
        members_not_travelled=0,
        confirmed_by="caseworker-7",
    )
    await referral.send(referral.topics.returnees, envelope(landed, case_id))
    after = await published(referral, key=case_id, type="ReferralIssued", count=6, topic="referrals.*")
    assert "referrals.kumanovo-classes.v1" in {s.topic for s in after}  # education, now
    gone = await published(referral, key=case_id, type="ReferralWithdrawn", count=3, topic="referrals.*")
    assert (new["referrals.kumanovo-van.v1"]["referral_id"], "arrival_confirmed") in {
        (s.data["referral_id"], s.data["reason"]) for s in gone
    }

    # the assessment names neither reception nor transport: the accepted reception stays accepted
    # (its consent is the case's, as intake publishes it: reception and transport included)
    assessed = needs_assessed(
        municipality="kumanovo", needs=[H, E], consent=dict.fromkeys(NEEDS, True), case_id=case_id
    )
    await referral.send(referral.topics.returnees, assessed)
    await eventually(lambda: referral.inbox_has(assessed.event_id), what="the assessment applied")
    listed = await referral.client.get("/v1/referrals", params={"case_id": str(case_id)})
    current = {r["referral_id"]: r["status"] for r in listed.json()["referrals"]}
    assert current[new["referrals.skopje-gate.v1"]["referral_id"]] == "accepted"


async def test_a_missed_arrival_withdraws_every_open_referral(referral: RunningReferral) -> None:
    case_id = uuid4()
    scheduled = hour(datetime.now(UTC)) + timedelta(days=2)
    announced = ArrivalAnnounced(
        **facts(case_id, trip(scheduled)),
        country_of_return="MK",
        sending_country="NL",
        announced_by="mission-1",
    )
    await referral.send(referral.topics.returnees, envelope(announced, case_id))
    await published(referral, key=case_id, type="ReferralIssued", count=3, topic="referrals.*")
    missed = ArrivalMissed(case_id=case_id, programme_id="NL-AVRR", scheduled_at=scheduled)
    await referral.send(referral.topics.returnees, envelope(missed, case_id))
    withdrawn = await published(referral, key=case_id, type="ReferralWithdrawn", count=3, topic="referrals.*")
    assert sorted(s.data["category"] for s in withdrawn) == ["airport_reception", "housing", "transport"]
    assert {s.data["reason"] for s in withdrawn} == {"arrival_missed"}
