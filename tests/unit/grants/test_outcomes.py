"""Whether what a case achieved reaches an installment's outcome milestone (core/outcomes.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.grants.core.outcomes import CaseOutcomes, MilestoneTerms, VisitOutcome
from services.grants.core.rules import milestone_reached
from shared.events.codes import Category, Milestone

TODAY = date(2026, 6, 1)


def visits(*found: tuple[int, float, bool | None]) -> CaseOutcomes:
    return CaseOutcomes(visits=tuple(VisitOutcome(n, c, b, re_migrated=False) for n, c, b in found))


def reached(terms: MilestoneTerms, outcomes: CaseOutcomes) -> bool:
    return milestone_reached(terms, TODAY, business_plan_verified=False, outcomes=outcomes)


THIRD_AT_HALF = MilestoneTerms(Milestone.MONITORING_VISIT, visit=3, min_composite=Decimal("0.5"))


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (CaseOutcomes(), False),
        (visits((1, 0.9, None), (2, 0.9, None)), False),  # not the third visit yet
        (visits((3, 0.49, None)), False),  # the third, under the minimum
        (visits((3, 0.5, None)), True),
        (visits((3, 0.3, None), (4, 0.7, None)), True),  # a later visit scoring enough
    ],
)
def test_the_nth_visit_with_a_minimum_score(outcomes: CaseOutcomes, expected: bool) -> None:
    assert reached(THIRD_AT_HALF, outcomes) is expected


def test_a_visit_milestone_without_a_minimum_takes_any_score() -> None:
    assert reached(MilestoneTerms(Milestone.MONITORING_VISIT, visit=1), visits((1, 0.0, None)))


def test_a_completed_referral_of_its_category_only() -> None:
    terms = MilestoneTerms(Milestone.REFERRAL_COMPLETED, category=Category.EMPLOYMENT)
    assert not reached(terms, CaseOutcomes(completed=frozenset({Category.HOUSING})))
    assert reached(terms, CaseOutcomes(completed=frozenset({Category.EMPLOYMENT})))


def test_a_business_found_operating() -> None:
    terms = MilestoneTerms(Milestone.BUSINESS_OPERATING)
    assert not reached(terms, visits((1, 0.9, None), (2, 0.9, False)))
    assert reached(terms, visits((1, 0.9, False), (2, 0.9, True)))


def test_a_re_migrated_returnee_reaches_nothing_more() -> None:
    outcomes = CaseOutcomes(
        visits=(VisitOutcome(3, 0.9, True, re_migrated=False), VisitOutcome(4, 0.1, None, re_migrated=True)),
        completed=frozenset({Category.EMPLOYMENT}),
    )
    for terms in (
        THIRD_AT_HALF,
        MilestoneTerms(Milestone.REFERRAL_COMPLETED, category=Category.EMPLOYMENT),
        MilestoneTerms(Milestone.BUSINESS_OPERATING),
    ):
        assert not reached(terms, outcomes)


def test_the_other_milestones_are_not_outcomes() -> None:
    everything = CaseOutcomes(visits=(VisitOutcome(1, 1.0, True, False),), completed=frozenset(Category))
    assert not reached(MilestoneTerms(Milestone.BUSINESS_PLAN_VERIFIED), everything)
    assert not reached(MilestoneTerms(Milestone.DAYS_AFTER_ARRIVAL, due_on=date(2026, 6, 2)), everything)
    assert reached(MilestoneTerms(Milestone.DAYS_AFTER_ARRIVAL, due_on=TODAY), CaseOutcomes())
