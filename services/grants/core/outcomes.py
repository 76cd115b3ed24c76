"""What a case achieved, as grants learns it from the topics (monitoring visits on
intake.returnees.v1, completed referrals on referral.status.v1), and whether an installment's
outcome milestone is reached by it. Pure.

- `monitoring_visit` (visit N, optionally min_composite c): reached by the Nth visit or any later
  one whose composite score is at least c (so a returnee who scores low at visit N and better at
  a later visit still reaches it);
- `referral_completed` (category k): reached once a referral of k is completed;
- `business_operating`: reached once a visit finds the supported business operating.
A returnee found re-migrated reaches nothing more: grants cancels what still waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.events.codes import Category, Milestone

OUTCOME_MILESTONES = frozenset(
    {Milestone.MONITORING_VISIT, Milestone.REFERRAL_COMPLETED, Milestone.BUSINESS_OPERATING}
)


@dataclass(frozen=True)
class VisitOutcome:
    visit_number: int
    composite: float
    business_operating: bool | None
    re_migrated: bool


@dataclass(frozen=True)
class CaseOutcomes:
    visits: tuple[VisitOutcome, ...] = ()
    completed: frozenset[Category] = frozenset()

    @property
    def re_migrated(self) -> bool:
        return any(v.re_migrated for v in self.visits)


@dataclass(frozen=True)
class MilestoneTerms:
    """An installment's milestone and its terms."""

    milestone: Milestone
    due_on: date | None = None
    visit: int | None = None
    min_composite: Decimal | None = None
    category: Category | None = None


def outcome_reached(terms: MilestoneTerms, outcomes: CaseOutcomes) -> bool:
    """Whether `outcomes` reach the outcome milestone `terms` (False for any other milestone)."""
    if outcomes.re_migrated:
        return False
    if terms.milestone is Milestone.MONITORING_VISIT and terms.visit is not None:
        floor = float(terms.min_composite) if terms.min_composite is not None else 0.0
        return any(v.visit_number >= terms.visit and v.composite >= floor for v in outcomes.visits)
    if terms.milestone is Milestone.REFERRAL_COMPLETED:
        return terms.category is not None and terms.category in outcomes.completed
    if terms.milestone is Milestone.BUSINESS_OPERATING:
        return any(v.business_operating is True for v in outcomes.visits)
    return False
