"""The demo data (deploy/config): every need can be routed in every municipality.

For every category and every municipality in municipalities.yaml, a returnee of either sex with no
vulnerability, consenting to share, is placed with a partner of the demo directory — the routing
that runs in the service, over the files the service loads. Reception and transport are routed by
the arrival point too: every arrival point has a reception partner, and transport from every
arrival point to every municipality."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from services.referral.core.directory import load_arrival_points, load_directory, load_municipalities
from services.referral.core.routing import place
from shared.events.codes import (
    ARRIVAL_CATEGORIES,
    ArrivalMode,
    BusinessPlanStage,
    BusinessSector,
    Category,
    ReferralStatus,
    Relationship,
    Sex,
)
from shared.events.intake import CaseFacts, ExpectedArrival, HouseholdMember

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "config"
MUNICIPALITIES = load_municipalities(CONFIG / "municipalities.yaml")
DIRECTORY = load_directory(CONFIG / "partners.yaml", MUNICIPALITIES)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ARRIVAL_POINTS = sorted(load_arrival_points(CONFIG / "arrival-points.yaml"))


def _family(municipality: str, sex: Sex, category: Category, arrival_point: str | None = None) -> CaseFacts:
    """A parent of 34 with a child of 9 (education concerns the child, the rest the parent),
    announced to land at `arrival_point` in three days when one is given."""
    expected = None
    if arrival_point is not None:
        expected = ExpectedArrival(
            mode=ArrivalMode.FLIGHT,
            carrier="Demo Air",
            number="DA 100",
            arrival_point=arrival_point,
            scheduled_at=NOW + timedelta(days=3),
            meeting_code="BCD-FGH",
        )
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
        expected_arrival=expected,
    )


@pytest.mark.parametrize("category", [c for c in Category if c not in ARRIVAL_CATEGORIES])
def test_every_category_is_served_in_every_municipality(category: Category) -> None:
    unserved = [
        (municipality, sex.value)
        for municipality in MUNICIPALITIES
        for sex in (Sex.FEMALE, Sex.MALE)
        if place(_family(municipality, sex, category), category, DIRECTORY, {}, NOW).status
        is not ReferralStatus.ISSUED
    ]
    assert unserved == [], f"no partner for {category.value} in {unserved}"


@pytest.mark.parametrize("category", sorted(ARRIVAL_CATEGORIES))
def test_every_arrival_point_has_reception_and_transport_to_every_municipality(category: Category) -> None:
    unserved = [
        (point, municipality)
        for point in ARRIVAL_POINTS
        for municipality in MUNICIPALITIES
        if place(_family(municipality, Sex.FEMALE, category, point), category, DIRECTORY, {}, NOW).status
        is not ReferralStatus.ISSUED
    ]
    assert unserved == [], f"no partner for {category.value} in {unserved}"


def test_training_centres_and_business_advisers_are_partners_of_their_own() -> None:
    for category in (Category.VOCATIONAL_TRAINING, Category.MICRO_BUSINESS):
        own = [p.id for p in DIRECTORY.partners if set(p.categories) == {category}]
        assert own, f"no partner serves {category.value} alone"
