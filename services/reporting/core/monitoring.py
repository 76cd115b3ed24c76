"""Monitoring in the report (pure): coverage — for each visit of the programme's schedule, the cases
whose visit fell due in the period and those visited for it — and the survey's dimension scores
over time, quarter by quarter (means over the visits made in each)."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

from .facts import Period, ProgrammeFacts, ReturnFacts
from .suppression import THRESHOLD, suppress
from .tables import Row, Table, Value, masked

DIMENSIONS = ("economic", "social", "psychosocial")


def months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _still_open(case: ReturnFacts, due: date) -> bool:
    return case.closed_at is None or case.closed_at.date() >= due


def coverage_table(facts: ProgrammeFacts, period: Period) -> Table:
    """Per scheduled visit: cases due in the period (still open then) and, of those, visited for it."""
    visited: dict[int, set[UUID]] = defaultdict(set)
    for visit in facts.visits:
        if visit.scheduled_month is not None:
            visited[visit.scheduled_month].add(visit.case_id)
    due: dict[int, set[UUID]] = {m: set() for m in facts.schedule}
    for case in facts.returns:
        for month in facts.schedule:
            when = months_after(case.arrival_date, month)
            if period.holds_day(when) and _still_open(case, when):
                due[month].add(case.case_id)
    done = {m: due[m] & visited[m] for m in facts.schedule}
    keys = [f"month_{m}" for m in facts.schedule]
    hidden_due = suppress([len(due[m]) for m in facts.schedule], len(set().union(*due.values())))
    hidden_done = suppress([len(done[m]) for m in facts.schedule], len(set().union(*done.values())))
    rows = [
        Row(
            key=key,
            values=[
                *masked([len(due[m])], hidden_due, i),
                *masked([len(done[m])], hidden_done, i),
            ],
        )
        for i, (key, m) in enumerate(zip(keys, facts.schedule, strict=True))
    ]
    totals = [len(set().union(*due.values())), len(set().union(*done.values()))]
    return Table(
        id="monitoring_coverage",
        title="Monitoring visits due and done",
        unit="cases",
        columns=["due", "done"],
        rows=rows,
        total=Row(
            key="total",
            values=[None if hidden_due.total else totals[0], None if hidden_done.total else totals[1]],
        ),
        suppressed=sum(v is None for row in rows for v in row.values),
    )


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def scores_table(facts: ProgrammeFacts, period: Period) -> Table:
    """Per quarter: the visits made and the mean score of each dimension and of the composite. A
    quarter of fewer than five visits shows no score (a mean over one visit is that person's)."""
    by_quarter: dict[str, list[Any]] = defaultdict(list)
    for visit in facts.visits:
        if period.holds_day(visit.visited_on):
            by_quarter[_quarter(visit.visited_on)].append(visit)
    quarters = sorted(by_quarter)
    counts = [len({v.case_id for v in by_quarter[q]}) for q in quarters]
    every = [v for q in quarters for v in by_quarter[q]]
    total_cases = len({v.case_id for v in every})
    hidden = suppress(counts, total_cases)
    rows = [
        Row(key=q, values=masked([counts[i], *_means(by_quarter[q])], hidden, i))
        for i, q in enumerate(quarters)
    ]
    small = total_cases < THRESHOLD
    total = [None if small else total_cases, *([None] * 4 if small else _means(every))]
    return Table(
        id="survey_scores",
        title="Survey scores by quarter (means, 0 to 1)",
        unit="cases visited",
        columns=["visited", *DIMENSIONS, "composite"],
        rows=rows,
        total=Row(key="total", values=total),
        suppressed=sum(r.values[0] is None for r in rows) + (1 if small else 0),
    )


def _means(visits: list[Any]) -> list[Value]:
    def mean(values: list[float]) -> Value:
        return round(sum(values) / len(values), 3) if values else None

    scores: Mapping[str, list[float]] = {
        d: [v.scores[d] for v in visits if d in v.scores] for d in DIMENSIONS
    }
    return [*(mean(scores[d]) for d in DIMENSIONS), mean([v.composite for v in visits])]
