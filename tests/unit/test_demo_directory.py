"""The demo data (deploy/config): every need can be routed in every municipality.

For every category and every municipality in municipalities.yaml, a returnee of either sex with no
vulnerability, consenting to share, is placed with a partner of the demo directory — the routing
that runs in the service, over the files the service loads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from services.referral.core.directory import load_directory, load_municipalities
from services.referral.core.routing import place
from shared.events.codes import BusinessPlanStage, BusinessSector, Category, ReferralStatus, Relationship, Sex
from shared.events.intake import CaseFacts, HouseholdMember

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "config"
MUNICIPALITIES = load_municipalities(CONFIG / "municipalities.yaml")
DIRECTORY = load_directory(CONFIG / "partners.yaml", MUNICIPALITIES)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _family(municipality: str, sex: Sex, category: Category) -> CaseFacts:
    """A parent of 34 with a child of 9 (education concerns the child, the rest the parent)."""
    return CaseFacts(
        case_id=UUID(int=1),
        programme_id="DE-STARTHILFEPLUS",
        municipality=municipality,
        household=[
            HouseholdMember(age=34, sex=sex, relationship=Relationship.PRINCIPAL),
            HouseholdMember(age=9, sex=sex, relationship=Relationship.CHILD, school_level="primary"),
        ],
        needs=[category],
        consent={category: True},
        skills=["driving"],
        training_wanted=["welding"],
        business_sector=BusinessSector.RETAIL,
        business_plan_stage=BusinessPlanStage.IDEA,
    )


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_served_in_every_municipality(category: Category) -> None:
    unserved = [
        (municipality, sex.value)
        for municipality in MUNICIPALITIES
        for sex in (Sex.FEMALE, Sex.MALE)
        if place(_family(municipality, sex, category), category, DIRECTORY, {}, NOW).status
        is not ReferralStatus.ISSUED
    ]
    assert unserved == [], f"no partner for {category.value} in {unserved}"


def test_training_centres_and_business_advisers_are_partners_of_their_own() -> None:
    for category in (Category.VOCATIONAL_TRAINING, Category.MICRO_BUSINESS):
        own = [p.id for p in DIRECTORY.partners if set(p.categories) == {category}]
        assert own, f"no partner serves {category.value} alone"
