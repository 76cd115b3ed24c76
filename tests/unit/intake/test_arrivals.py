"""The decisions of an announced return, pure: the arrival date is the day at the arrival point,
scheduled until confirmed and the confirmed day after; a missed arrival waits for the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.intake.core import arrivals, events
from services.intake.core.arrival_requests import (
    Announcement,
    ArrivalConfirmationRequest,
    confirmation_problems,
)
from services.intake.core.case import CaseStatus, Plan, PlanStatus
from services.intake.core.decisions import Assignment
from services.intake.core.errors import CaseConflict
from services.intake.core.requests import AssistanceRequest
from services.intake.core.validation import Checks, Invalid, check
from shared.events.codes import ArrivalMetBy, AssistanceType
from shared.events.intake import ArrivalConfirmed
from shared.money import Money
from tests.unit.intake import samples

SKOPJE = ZoneInfo("Europe/Skopje")
NOW = datetime(2025, 6, 15, 10, 0, tzinfo=UTC)
USER = UUID(int=5)


def body(scheduled: datetime, **overrides: Any) -> dict[str, Any]:
    data = samples.family()
    del data["arrival_date"]
    data |= {
        "mode": "flight",
        "carrier": "Wizz Air",
        "number": "w6 4321",
        "arrival_point": "SKP",
        "scheduled_at": scheduled.isoformat(),
    }
    return data | overrides


def announced(scheduled: datetime) -> Any:
    checks = Checks(samples.catalogue(), NOW.date(), NOW)
    request = check(Announcement, body(scheduled), checks)
    return arrivals.announce(request, UUID(int=1), "BCD-FGH", USER, NOW, Assignment(None, None), SKOPJE)


def test_an_announcement_starts_expected_on_the_scheduled_day_at_the_arrival_point() -> None:
    # 23:30 UTC is already the next day in Skopje (UTC+2 in June)
    decision = announced(datetime(2025, 6, 20, 23, 30, tzinfo=UTC))
    assert decision.case.status is CaseStatus.EXPECTED
    assert decision.case.arrival_date.isoformat() == "2025-06-21"
    assert decision.case.arrival.number == "W6 4321"
    assert decision.event.expected_arrival.meeting_code == "BCD-FGH"


def test_confirmation_sets_the_confirmed_day_and_leaves_out_who_did_not_travel() -> None:
    case = announced(datetime(2025, 6, 20, 9, 0, tzinfo=UTC)).case
    request = ArrivalConfirmationRequest(
        arrived_at=datetime(2025, 6, 15, 9, 0, tzinfo=UTC),
        met_by=ArrivalMetBy.OFFICE_RECEPTION_TEAM,
        not_travelled=[1],
    )
    decision = arrivals.confirm(case, request, USER, NOW, SKOPJE)
    assert decision.case.status is CaseStatus.REGISTERED
    assert decision.case.arrival_date.isoformat() == "2025-06-15"
    event = decision.event
    assert isinstance(event, ArrivalConfirmed)
    assert event.arrival_date is not None
    assert event.arrival_date.isoformat() == "2025-06-15"
    assert len(event.household) == 2
    assert event.expected_arrival is None
    # the plan approved later carries the confirmed day and the two who travelled
    plan = events.plan_approved(decision.case.model_copy(update={"plan": None}), _plan(), USER, NOW.date())
    assert plan.arrival_date.isoformat() == "2025-06-15"
    assert len(plan.household) == 2


def _plan() -> Any:
    line = AssistanceRequest(assistance_type=AssistanceType.CASH, requested=Money(amount=100, currency="EUR"))
    return Plan(
        id=UUID(int=9), status=PlanStatus.APPROVED, assistance=[line], proposed_by=USER, proposed_at=NOW
    )


def test_a_missed_arrival_waits_for_the_grace_period() -> None:
    scheduled = NOW + timedelta(hours=1)
    case = announced(scheduled).case
    with pytest.raises(CaseConflict):
        arrivals.miss(case, timedelta(hours=12), scheduled + timedelta(hours=11))
    decision = arrivals.miss(case, timedelta(hours=12), scheduled + timedelta(hours=12))
    assert decision.case.status is CaseStatus.ARRIVAL_MISSED
    assert decision.case.ended_at() == scheduled + timedelta(hours=12)
    with pytest.raises(CaseConflict):  # an ended return takes no confirmation
        arrivals.confirm(
            decision.case,
            ArrivalConfirmationRequest(arrived_at=NOW, met_by=ArrivalMetBy.NOBODY),
            USER,
            NOW,
        )


def test_an_arrival_without_an_offset_or_in_the_past_is_refused() -> None:
    checks = Checks(samples.catalogue(), NOW.date(), NOW)
    with pytest.raises(Invalid) as naive:
        check(Announcement, body(NOW, scheduled_at="2025-06-20T10:00:00"), checks)
    assert [p.field for p in naive.value.problems] == ["scheduled_at"]
    with pytest.raises(Invalid) as past:
        check(Announcement, body(NOW - timedelta(minutes=1)), checks)
    assert [p.field for p in past.value.problems] == ["scheduled_at"]


def test_somebody_must_have_travelled() -> None:
    everyone = ArrivalConfirmationRequest(arrived_at=NOW, met_by=ArrivalMetBy.NOBODY, not_travelled=[0, 1, 2])
    assert [p.field for p in confirmation_problems(everyone, 3)] == ["not_travelled"]
    beyond = ArrivalConfirmationRequest(arrived_at=NOW, met_by=ArrivalMetBy.NOBODY, not_travelled=[3])
    assert [p.field for p in confirmation_problems(beyond, 3)] == ["not_travelled.0"]
