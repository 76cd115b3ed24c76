"""Monitoring in the report: visits due and done per scheduled visit, and the survey's scores by
quarter; the schedules read from the donor policies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from services.reporting.core.facts import Member, Period, ProgrammeFacts, ReturnFacts, VisitFacts
from services.reporting.core.monitoring import coverage_table, months_after, scores_table
from services.reporting.core.schedules import monitoring_schedules

ARRIVED = date(2025, 1, 15)


def case(closed: datetime | None = None) -> ReturnFacts:
    return ReturnFacts(
        uuid4(), ARRIVED, (), (Member(30, "male", "principal"),), "withdrew" if closed else None, closed
    )


def test_visits_due_in_the_period_and_done_for_them() -> None:
    open_cases = [case() for _ in range(12)]
    closed_early = [case(datetime(2025, 3, 1, tzinfo=UTC)) for _ in range(3)]  # closed before month 6
    visits = [
        VisitFacts(
            c.case_id, 6, date(2025, 7, 20), {"economic": 0.4, "social": 0.6, "psychosocial": 0.5}, 0.5
        )
        for c in open_cases[:9]
    ]
    facts = ProgrammeFacts("NL-AVRR", (*open_cases, *closed_early), (), (), None, tuple(visits), (6, 12))
    coverage = coverage_table(facts, Period(date(2025, 7, 1), date(2025, 12, 31)))
    assert {row.key: row.values for row in coverage.rows} == {"month_6": [12, 9], "month_12": [0, 0]}
    assert coverage.total.values == [12, 9]
    next_year = coverage_table(facts, Period(date(2026, 1, 1), date(2026, 1, 31)))
    assert {row.key: row.values for row in next_year.rows} == {"month_6": [0, 0], "month_12": [12, 0]}


def test_scores_are_means_per_quarter_and_hidden_for_fewer_than_five_people() -> None:
    cases = [case() for _ in range(8)]
    visits = [
        VisitFacts(
            c.case_id, 6, date(2025, 7, 20), {"economic": 0.2, "social": 0.4, "psychosocial": 0.6}, 0.4
        )
        for c in cases[:6]
    ]
    visits += [
        VisitFacts(
            c.case_id, 12, date(2025, 10, 2), {"economic": 1.0, "social": 1.0, "psychosocial": 1.0}, 1.0
        )
        for c in cases[6:]
    ]
    facts = ProgrammeFacts("NL-AVRR", tuple(cases), (), (), None, tuple(visits), (6, 12))
    scores = scores_table(facts, Period(date(2025, 1, 1), date(2025, 12, 31)))
    rows = {row.key: row.values for row in scores.rows}
    assert rows["2025-Q4"] == [None] * 5  # two people's scores: hidden
    assert rows["2025-Q3"] == [None] * 5  # hidden with it: the total would give the two away
    assert scores.total.values == [8, 0.4, 0.55, 0.7, 0.55]


def test_months_after_arrival_keep_to_the_calendar() -> None:
    assert months_after(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert months_after(ARRIVED, 12) == date(2026, 1, 15)


def test_schedules_come_from_the_donor_policies() -> None:
    document = {
        "programmes": [
            {
                "id": "NL-AVRR",
                "currency": "EUR",
                "monitoring": {"visits_after_months": [12, 3, 6], "window_days": 30},
            },
            {"id": "CH-RKH", "currency": "CHF"},
        ]
    }
    assert monitoring_schedules(document) == {"NL-AVRR": (3, 6, 12), "CH-RKH": ()}
