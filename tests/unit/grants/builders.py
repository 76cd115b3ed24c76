"""Plans and policies for the grants unit tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import uuid4

from services.grants.core.policies import DonorPolicies, load_policies
from shared.events.codes import AssistanceType, Category, Relationship, Sex, Vulnerability
from shared.events.intake import HouseholdMember, PlannedAssistance, ReintegrationPlanApproved
from shared.money import Money

DEMO_POLICIES = Path(__file__).resolve().parents[3] / "deploy" / "config" / "donor-policies.yaml"


def demo_policies() -> DonorPolicies:
    return load_policies(DEMO_POLICIES)


def member(age: int) -> HouseholdMember:
    relationship = Relationship.CHILD if age < 18 else Relationship.PRINCIPAL
    return HouseholdMember(age=age, sex=Sex.FEMALE, relationship=relationship)


def plan(
    programme_id: str,
    ages: list[int],
    requests: dict[AssistanceType, int],
    *,
    currency: str = "EUR",
    vulnerabilities: list[Vulnerability] | None = None,
    arrival: date = date(2025, 3, 1),
    needs: list[Category] | None = None,
) -> ReintegrationPlanApproved:
    """A plan approval for a household of `ages`, asking `requests` (minor units) per type."""
    return ReintegrationPlanApproved(
        case_id=uuid4(),
        plan_id=uuid4(),
        programme_id=programme_id,
        arrival_date=arrival,
        household=[member(a) for a in ages],
        adults=sum(1 for a in ages if a >= 18),
        children=sum(1 for a in ages if a < 18),
        vulnerabilities=vulnerabilities or [],
        assistance=[
            PlannedAssistance(assistance_type=t, requested=Money(amount=a, currency=currency))
            for t, a in requests.items()
        ],
        approved_by="cw-1",
        needs=needs,
    )
