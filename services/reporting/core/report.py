"""The donor report of one programme over one period, from the read model's facts alone (pure).

- returns: the people and households whose arrival falls in the period, by sex, age band,
  household type and vulnerability;
- assistance: per category, the cases referred, accepted and completed in the period, and the
  median days from a case's first referral in the category to its completion;
- money: committed, disbursed, returned and released in the period per assistance type, in the
  programme's currency, as the grants ledger posts them;
- monitoring: visits due and done per scheduled visit, and the survey's scores by quarter;
- closures: cases closed in the period, by reason.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from uuid import UUID

from shared.events.codes import AssistanceType, Category, ClosureReason, Sex, Vulnerability

from .facts import UNSPECIFIED, MoneyFacts, Movement, Period, ProgrammeFacts, ReferralFacts
from .monitoring import coverage_table, scores_table
from .population import AGE_BANDS, HouseholdType, age_band, household_type
from .suppression import THRESHOLD, suppress
from .tables import SUPPRESSION_RULE, Checkpoint, Report, Row, Table, Value, count_table, masked

SEXES = tuple(s.value for s in Sex)
VULNERABILITIES = tuple(v.value for v in Vulnerability)
CATEGORIES = tuple(c.value for c in Category)
CLOSURE_REASONS = tuple(r.value for r in ClosureReason)
ASSISTANCE_TYPES = (*(t.value for t in AssistanceType), UNSPECIFIED)
NOT_REPORTED = ["visits due: the programme's donor policy names no monitoring schedule"]


def programme_report(facts: ProgrammeFacts, period: Period) -> Report:
    checkpoint = facts.checkpoint
    return Report(
        programme_id=facts.programme_id,
        period_from=period.start,
        period_to=period.end,
        threshold=THRESHOLD,
        suppression_rule=SUPPRESSION_RULE,
        tables=[
            *returns_tables(facts, period),
            assistance_table(facts.referrals, period),
            *money_tables(facts, period),
            coverage_table(facts, period),
            scores_table(facts, period),
            closures_table(facts, period),
        ],
        ledger_checkpoint=None if checkpoint is None else Checkpoint(**checkpoint.__dict__),
        not_reported=[] if facts.schedule else NOT_REPORTED,
    )


def returns_tables(facts: ProgrammeFacts, period: Period) -> list[Table]:
    arrived = [r for r in facts.returns if period.holds_day(r.arrival_date)]
    people = [m for r in arrived for m in r.members]
    by_sex = Counter(m.sex for m in people)
    by_band = Counter(age_band(m.age) for m in people)
    by_household = Counter(household_type(r.members).value for r in arrived)
    by_vulnerability = Counter(v for r in arrived for v in set(r.vulnerabilities))
    without = sum(1 for r in arrived if not r.vulnerabilities)
    bands = [label for label, _, _ in AGE_BANDS]
    households = [t.value for t in HouseholdType]
    return [
        count_table(
            id="returns_by_sex",
            title="Returnees by sex",
            unit="people",
            keys=SEXES,
            counts=[by_sex[s] for s in SEXES],
            total=len(people),
        ),
        count_table(
            id="returns_by_age_band",
            title="Returnees by age band",
            unit="people",
            keys=bands,
            counts=[by_band[b] for b in bands],
            total=len(people),
        ),
        count_table(
            id="returns_by_household_type",
            title="Households by type",
            unit="households",
            keys=households,
            counts=[by_household[h] for h in households],
            total=len(arrived),
        ),
        count_table(
            id="returns_by_vulnerability",
            title="Households by vulnerability (a household may have several)",
            unit="households",
            keys=[*VULNERABILITIES, "none"],
            counts=[*(by_vulnerability[v] for v in VULNERABILITIES), without],
            total=len(arrived),
        ),
    ]


def _first_issue(referrals: Iterable[ReferralFacts]) -> dict[tuple[UUID, str], float]:
    first: dict[tuple[UUID, str], float] = {}
    for r in referrals:
        if r.issued_at is not None:
            key = (r.case_id, r.category)
            first[key] = min(first.get(key, r.issued_at.timestamp()), r.issued_at.timestamp())
    return first


def assistance_table(referrals: tuple[ReferralFacts, ...], period: Period) -> Table:
    """Per category: cases with a referral issued, accepted, completed in the period; the median
    days from the case's first referral in the category to each completion in the period."""
    columns = ["referred", "accepted", "completed", "median_days_to_completion"]
    first = _first_issue(referrals)
    cases: dict[str, dict[str, set[UUID]]] = {c: defaultdict(set) for c in CATEGORIES}
    days: dict[str, dict[UUID, float]] = defaultdict(dict)
    for r in referrals:
        if r.category not in cases:
            continue
        for column, moment in (
            ("referred", r.issued_at),
            ("accepted", r.accepted_at),
            ("completed", r.completed_at),
        ):
            if period.holds(moment):
                cases[r.category][column].add(r.case_id)
        if period.holds(r.completed_at) and r.completed_at is not None:
            start = first.get((r.case_id, r.category), r.completed_at.timestamp())
            took = (r.completed_at.timestamp() - start) / 86400
            days[r.category][r.case_id] = max(took, days[r.category].get(r.case_id, 0.0))
    totals = {c: set().union(*(cases[k][c] for k in CATEGORIES)) for c in columns[:3]}
    hidden = {
        column: suppress([len(cases[k][column]) for k in CATEGORIES], len(totals[column]))
        for column in columns[:3]
    }
    every_completion = [d for by_case in days.values() for d in by_case.values()]
    rows = []
    for position, category in enumerate(CATEGORIES):
        values: list[Value] = []
        for column in columns[:3]:
            values.extend(masked([len(cases[category][column])], hidden[column], position))
        median = _median(list(days[category].values()))
        values.extend(masked([median], hidden["completed"], position))
        rows.append(Row(key=category, values=values))
    total_values: list[Value] = [None if hidden[c].total else len(totals[c]) for c in columns[:3]]
    total_values.append(None if hidden["completed"].total else _median(every_completion))
    return Table(
        id="assistance_by_category",
        title="Assistance by category",
        unit="cases",
        columns=columns,
        rows=rows,
        total=Row(key="total", values=total_values),
        suppressed=sum(v is None for row in rows for v in row.values[:3])
        + sum(v is None for v in total_values[:3]),
    )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def money_tables(facts: ProgrammeFacts, period: Period) -> list[Table]:
    """One table per currency the programme's grants are in (a programme has one)."""
    moved = [m for m in facts.money if period.holds(m.occurred_at)]
    currencies: list[str | None] = [*sorted({m.currency for m in moved})] or [None]
    return [_money_table([m for m in moved if m.currency == c], c) for c in currencies]


def _money_table(moved: list[MoneyFacts], currency: str | None) -> Table:
    movements = [m.value for m in Movement]
    columns = ["cases", *movements]
    amounts: dict[str, Counter[str]] = defaultdict(Counter)
    cases: dict[str, set[UUID]] = defaultdict(set)
    for m in moved:
        amounts[m.assistance_type][m.movement.value] += m.amount
        cases[m.assistance_type].add(m.case_id)
    every_case = {m.case_id for m in moved}
    hidden = suppress([len(cases[t]) for t in ASSISTANCE_TYPES], len(every_case))
    rows = [
        Row(
            key=kind,
            values=masked([len(cases[kind]), *(amounts[kind][m] for m in movements)], hidden, position),
        )
        for position, kind in enumerate(ASSISTANCE_TYPES)
    ]
    total = [len(every_case), *(sum(amounts[t][m] for t in ASSISTANCE_TYPES) for m in movements)]
    return Table(
        id="money_by_assistance_type",
        title="Money by assistance type (minor units)",
        unit="cases",
        currency=currency,
        columns=columns,
        rows=rows,
        total=Row(key="total", values=[None if hidden.total else v for v in total]),
        suppressed=len(ASSISTANCE_TYPES) + 1 if hidden.total else len(hidden.cells),
    )


def closures_table(facts: ProgrammeFacts, period: Period) -> Table:
    closed = [r for r in facts.returns if r.closed_reason is not None and period.holds(r.closed_at)]
    by_reason = Counter(r.closed_reason for r in closed)
    return count_table(
        id="closures_by_reason",
        title="Cases closed by reason",
        unit="cases",
        keys=CLOSURE_REASONS,
        counts=[by_reason[r] for r in CLOSURE_REASONS],
        total=len(closed),
    )
