"""An announced return through the whole system, as its users see it: a sending mission announces a
family's flight; reception and transport are referred before the flight to partners that serve the
arrival point (and the destination), on their own topics, without names; a changed flight moves
their deadlines; reception confirms the arrival; the grant's `days_after_arrival` installment counts
from the confirmed day; the first installment is paid. A second family's flight nobody confirms is
missed: its referrals are withdrawn and no grant opens. Only HTTP and Kafka; no service imported."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import System
from tests.e2e.reading import dead_letters, events_on, partner_events
from tests.support import eventually

pytestmark = pytest.mark.integration

# the missed-arrivals job: no grace period, every second (the second family's flight is seconds away)
SYSTEM_ENV = {"HOMEWARD_INTAKE_ARRIVAL_GRACE_HOURS": "0", "HOMEWARD_INTAKE_MISSED_ARRIVALS_INTERVAL_S": "1"}
SKOPJE = ZoneInfo("Europe/Skopje")
PROGRAMME = "DE-STARTHILFEPLUS"
PRINCIPAL, CHILD, OTHER_CHILD, DOCUMENT = (
    "Valentina Trajkovska",
    "Luka Trajkovski",
    "Sara Trajkovska",
    "MK7788991",
)
ON_ANNOUNCEMENT = ("airport_reception", "transport", "housing")
NEEDS = (*ON_ANNOUNCEMENT, "education")
PERSONAL = [PRINCIPAL, CHILD, OTHER_CHILD, *PRINCIPAL.split(), *CHILD.split(), *OTHER_CHILD.split(), DOCUMENT]


def years_ago(years: int) -> str:
    today = datetime.now(UTC).date()
    return today.replace(year=today.year - years).isoformat()


def trip(scheduled: datetime, number: str = "W6 4321") -> dict[str, Any]:
    return {
        "mode": "flight",
        "carrier": "Wizz Air",
        "number": number,
        "arrival_point": "SKP",
        "scheduled_at": scheduled.isoformat(timespec="seconds"),
        "special_assistance": ["wheelchair"],
    }


def announcement(scheduled: datetime, principal: str = PRINCIPAL, document: str = DOCUMENT) -> dict[str, Any]:
    return {
        "members": [
            {
                "name": principal,
                "date_of_birth": years_ago(36),
                "sex": "female",
                "relationship": "principal",
                "identity_document": {"type": "passport", "number": document},
            },
            {"name": CHILD, "date_of_birth": years_ago(10), "sex": "male", "relationship": "child"},
            {"name": OTHER_CHILD, "date_of_birth": years_ago(6), "sex": "female", "relationship": "child"},
        ],
        "programme_id": PROGRAMME,
        "country_of_return": "MK",
        "municipality": "tetovo",
        "sending_country": "DE",
        "vulnerabilities": ["single_parent"],
        "needs": list(NEEDS),
        "consent": dict.fromkeys(NEEDS, True),
        **trip(scheduled),
    }


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_an_announced_family_from_the_flight_to_its_first_installment(system: System) -> None:
    staff = {"mission": "sending_mission", "caseworker": "caseworker", "supervisor": "supervisor"}
    staff |= {"officer-a": "finance", "officer-b": "finance"}
    names = {key: f"{key}.{system.token}" for key in staff}
    await asyncio.gather(*(asyncio.to_thread(system.add_user, names[k], role) for k, role in staff.items()))
    mission, cw, sup, officer_a, officer_b = names.values()
    intake, referral, grants = (system.url(s) for s in ("intake", "referral", "grants"))

    async with httpx.AsyncClient(timeout=10) as http:
        funded = await http.post(
            f"{grants}/v1/programmes/{PROGRAMME}/funding",
            json={"amount": {"amount": 5_000_000, "currency": "EUR"}, "reference": "BMI-2025-0077"},
            headers={**system.auth(officer_a), "Idempotency-Key": f"funding-{system.token}"},
        )
        assert funded.status_code == 201, funded.text
        directory = {
            p["id"]: p
            for p in (await http.get(f"{referral}/v1/partners", headers=system.auth(cw))).json()["partners"]
        }

        # the mission announces the flight, five days ahead
        scheduled = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
        announced = await http.post(
            f"{intake}/v1/arrivals", json=announcement(scheduled), headers=system.auth(mission)
        )
        assert announced.status_code == 201, announced.text
        case_id = announced.json()["case_id"]
        meeting_code = announced.json()["trip"]["meeting_code"]

        async def issued(count: int) -> list[tuple[str, dict[str, Any]]]:
            on_topics = await partner_events(system, sorted(directory), case_id)
            found = [
                (p, e) for p, events in on_topics.items() for e in events if e["type"] == "ReferralIssued"
            ]
            return found if len(found) >= count else []

        # reception, transport and housing (issued on announcement) reach their partners' own topics,
        # before the flight, answerable at least 24 h before landing; education waits for the arrival
        first = await eventually(lambda: issued(3), timeout=30, interval=0.3, what="three ReferralIssued")
        assert sorted(e["data"]["category"] for _, e in first) == sorted(ON_ANNOUNCEMENT)
        for partner_id, event in first:
            partner, data = directory[partner_id], event["data"]
            assert data["partner_id"] == partner_id
            assert data["category"] in {c["category"] for c in partner["categories"]}
            assert when(event["occurred_at"]) < scheduled
            for personal in PERSONAL:
                assert personal.encode() not in event["_raw"], f"{personal!r} reached {partner_id}"
            if data["category"] in ("airport_reception", "transport"):
                assert "SKP" in partner["arrival_points"]
                assert when(data["respond_by"]) <= scheduled - timedelta(hours=24)
                payload = data["payload"]
                assert (payload["arrival_point"], payload["number"], payload["household_size"]) == (
                    "SKP",
                    "W6 4321",
                    3,
                )
                assert when(payload["scheduled_at"]) == scheduled
                assert payload["special_assistance"] == ["wheelchair"]
                assert sorted(t["age"] for t in payload["travellers"]) == [6, 10, 36]
            if data["category"] == "transport":
                assert "tetovo" in partner["municipalities"]
        reception = {e["data"]["category"]: (p, e) for p, e in first}
        assert reception["airport_reception"][1]["data"]["payload"]["meeting_code"] == meeting_code
        assert "meeting_code" not in reception["transport"][1]["data"]["payload"]

        # the flight moves earlier: reception and transport are withdrawn and issued anew, answerable
        # 24 h before the new time; housing stays as it was
        earlier = (datetime.now(UTC) + timedelta(hours=40)).replace(microsecond=0)
        moved = await http.post(
            f"{intake}/v1/arrivals/{case_id}/reschedule",
            json=trip(earlier, "W6 4325"),
            headers=system.auth(mission),
        )
        assert moved.status_code == 200, moved.text
        second = await eventually(lambda: issued(5), timeout=30, interval=0.3, what="reissued referrals")
        reissued = [(p, e) for p, e in second if e not in [x for _, x in first]]
        assert sorted(e["data"]["category"] for _, e in reissued) == ["airport_reception", "transport"]
        for _, event in reissued:
            assert when(event["data"]["respond_by"]) == earlier - timedelta(hours=24)
            assert event["data"]["payload"]["number"] == "W6 4325"
        for category in ("airport_reception", "transport"):
            partner_id, old = reception[category]
            events = await events_on(system, f"referrals.{partner_id}.v1", case_id)
            withdrawn = [e for e in events if e["type"] == "ReferralWithdrawn"]
            assert [(w["data"]["referral_id"], w["data"]["reason"]) for w in withdrawn] == [
                (old["data"]["referral_id"], "arrival_rescheduled")
            ]

        # the family lands (earlier still): reception confirms it at the gate; one child did not travel
        arrived_at = (datetime.now(UTC) - timedelta(minutes=15)).replace(microsecond=0)
        confirmed = await http.post(
            f"{intake}/v1/arrivals/{case_id}/confirm",
            json={
                "arrived_at": arrived_at.isoformat(),
                "met_by": "office_reception_team",
                "not_travelled": [2],
            },
            headers=system.auth(cw),
        )
        assert confirmed.status_code == 200, confirmed.text
        arrival_day = arrived_at.astimezone(SKOPJE).date()
        assert confirmed.json()["arrival_date"] == arrival_day.isoformat()
        assert arrival_day != earlier.astimezone(SKOPJE).date()

        # education is issued now
        after = await eventually(lambda: issued(6), timeout=30, interval=0.3, what="the education referral")
        assert "education" in [e["data"]["category"] for _, e in after]

        # plan, approval by another person, the grant: its days_after_arrival installment falls 180
        # days after the confirmed day, not the announced one
        plan = {
            "assistance": [{"assistance_type": "cash", "requested": {"amount": 60_000, "currency": "EUR"}}]
        }
        proposed = await http.post(f"{intake}/v1/cases/{case_id}/plan", json=plan, headers=system.auth(cw))
        assert proposed.status_code == 200, proposed.text
        plan_id = proposed.json()["plan"]["id"]
        approved = await http.post(
            f"{intake}/v1/cases/{case_id}/plan/approve", json={"plan_id": plan_id}, headers=system.auth(sup)
        )
        assert approved.status_code == 200, approved.text

        async def grant_opened() -> list[dict[str, Any]]:
            found = await http.get(
                f"{grants}/v1/grants", params={"case_id": case_id}, headers=system.auth(officer_a)
            )
            return [g for g in found.json() if g["status"] == "open"]

        [grant] = await eventually(grant_opened, timeout=30, interval=0.3, what="the grant to open")
        details = (await http.get(f"{grants}/v1/grants/{grant['id']}", headers=system.auth(officer_a))).json()
        by_sequence = sorted(details["installments"], key=lambda i: i["sequence"])
        later = [i for i in by_sequence if i["milestone"] == "days_after_arrival"]
        assert [date.fromisoformat(i["due_on"]) for i in later] == [arrival_day + timedelta(days=180)]
        assert date.fromisoformat(later[0]["due_on"]) != scheduled.astimezone(SKOPJE).date() + timedelta(
            days=180
        )

        first_installment = by_sequence[0]
        installment = f"{grants}/v1/installments/{first_installment['id']}"
        assert (await http.post(f"{installment}/approve", headers=system.auth(officer_a))).status_code == 200
        payment = {"method": "bank_transfer", "payment_reference": f"TRX-{system.token}"}
        paid = await http.post(f"{installment}/disburse", json=payment, headers=system.auth(officer_b))
        assert paid.status_code == 200, paid.text

        async def disbursed() -> list[dict[str, Any]]:
            events = await events_on(system, "grants.installments.v1", case_id)
            return events if any(e["type"] == "InstallmentDisbursed" for e in events) else []

        await eventually(disbursed, timeout=30, interval=0.3, what="InstallmentDisbursed")
        await print_the_family_events(system, sorted(directory), case_id)
        assert await dead_letters(system) == {}


async def print_the_family_events(system: System, partners: list[str], case_id: str) -> None:
    """For the closing note: every envelope about the case, on every topic, in time order."""
    topics = ["intake.returnees.v1", "referral.status.v1", "grants.installments.v1"]
    topics += [f"referrals.{p}.v1" for p in partners]
    found = [(t, e) for t in topics for e in await events_on(system, t, case_id)]
    lines = []
    for topic, event in sorted(found, key=lambda te: (te[1]["occurred_at"], te[1]["event_id"])):
        data = event["data"]
        keys = (
            "category",
            "partner_id",
            "status",
            "reason",
            "respond_by",
            "arrival_date",
            "milestone",
            "due_on",
        )
        shown = {k: data[k] for k in keys if data.get(k) is not None}
        if data.get("expected_arrival"):
            shown["scheduled_at"] = data["expected_arrival"]["scheduled_at"]
        if "amount" in data:
            shown["amount"] = data["amount"]
        lines.append(f"{event['occurred_at']}  {topic:<40} {event['type']:<26} {json.dumps(shown)}")
    print("one family's events, announcement to first installment:\n" + "\n".join(lines))


async def test_a_flight_nobody_confirms_is_missed_its_referrals_withdrawn_and_no_grant_opens(
    system: System,
) -> None:
    mission = f"mission-b.{system.token}"
    await asyncio.to_thread(system.add_user, mission, "sending_mission")
    intake, grants = system.url("intake"), system.url("grants")
    async with httpx.AsyncClient(timeout=10) as http:
        soon = datetime.now(UTC) + timedelta(seconds=6)
        # another family: another person, another passport (the same one would be a likely duplicate)
        body = announcement(soon, principal="Drita Krasniqi", document="AL1234567")
        body["members"] = body["members"][:1]
        body["vulnerabilities"] = []
        announced = await http.post(f"{intake}/v1/arrivals", json=body, headers=system.auth(mission))
        assert announced.status_code == 201, announced.text
        case_id = announced.json()["case_id"]

        async def missed() -> list[dict[str, Any]]:
            events = await events_on(system, "intake.returnees.v1", case_id)
            return events if any(e["type"] == "ArrivalMissed" for e in events) else []

        await eventually(missed, timeout=40, interval=0.5, what="ArrivalMissed")

        async def withdrawn() -> list[dict[str, Any]]:
            events = await events_on(system, "referral.status.v1", case_id)
            # (a flight seconds away leaves no time to answer: its referrals may escalate first)
            changes = [e for e in events if e["type"] == "ReferralStatusChanged"]
            ended = [e for e in changes if e["data"]["status"] == "withdrawn"]
            return ended if len(ended) == len(ON_ANNOUNCEMENT) else []

        ended = await eventually(withdrawn, timeout=30, interval=0.3, what="three withdrawals")
        assert sorted(e["data"]["category"] for e in ended) == sorted(ON_ANNOUNCEMENT)
        assert {e["data"]["reason"] for e in ended} == {"arrival_missed"}

        case = await http.get(f"{intake}/v1/arrivals/{case_id}", headers=system.auth(mission))
        assert case.json()["status"] == "arrival_missed"
        officer = f"officer-c.{system.token}"
        await asyncio.to_thread(system.add_user, officer, "finance")
        assert (
            await http.get(f"{grants}/v1/grants", params={"case_id": case_id}, headers=system.auth(officer))
        ).json() == []
        assert [e for e in await events_on(system, "grants.installments.v1", case_id)] == []
