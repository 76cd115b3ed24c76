"""When a monitoring visit is listed, due and overdue (services/intake/core/visits.py)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.intake.core.monitoring import MonitoringSchedule
from services.intake.core.visits import add_months, next_visit, scheduled_month

SCHEDULE = MonitoringSchedule(visits_after_months=[3, 6, 12], window_days=30)
ARRIVAL = date(2026, 1, 31)


def test_months_after_a_day_keep_it_or_the_month_s_last() -> None:
    assert add_months(ARRIVAL, 1) == date(2026, 2, 28)
    assert add_months(ARRIVAL, 3) == date(2026, 4, 30)
    assert add_months(ARRIVAL, 12) == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("recorded", "today", "expected"),
    [
        (0, date(2026, 3, 30), None),  # the window opens 30 days before 30 April
        (0, date(2026, 3, 31), (1, 3, False)),
        (0, date(2026, 5, 30), (1, 3, False)),
        (0, date(2026, 5, 31), (1, 3, True)),  # overdue the day after the window closes
        (1, date(2026, 5, 31), None),  # the 6-month visit is listed from 31 June - 30 days
        (1, date(2026, 7, 1), (2, 6, False)),
        (2, date(2027, 6, 1), (3, 12, True)),
        (3, date(2030, 1, 1), None),  # every scheduled visit recorded
    ],
)
def test_the_next_visit(recorded: int, today: date, expected: tuple[int, int, bool] | None) -> None:
    visit = next_visit(uuid4(), "NL-AVRR", ARRIVAL, SCHEDULE, recorded, today)
    assert (None if visit is None else (visit.visit_number, visit.month, visit.overdue(today))) == expected


def test_a_visit_answers_the_schedule_by_its_number() -> None:
    assert [scheduled_month(SCHEDULE, n) for n in (1, 2, 3, 4)] == [3, 6, 12, None]
    assert scheduled_month(None, 1) is None


@pytest.mark.parametrize("months", [[], [6, 3], [3, 3], [0, 3]])
def test_a_schedule_is_whole_increasing_months(months: list[int]) -> None:
    with pytest.raises(ValueError, match="visits_after_months"):
        MonitoringSchedule(visits_after_months=months)
