"""Reception and transport routing, pure: who serves the trip, by when they must answer, and what
is routed before and after the family has arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from services.referral.core.directory import load_directory, load_municipalities
from services.referral.core.routing import plan_referrals, respond_by, routed_now
from shared.events import Category, ReferralStatus, Relationship, Sex
from shared.events.codes import ArrivalMode
from shared.events.intake import CaseFacts, ExpectedArrival, HouseholdMember
from shared.settings import Settings

CONFIG: Path = Settings.model_fields["config_dir"].default
DIRECTORY = load_directory(CONFIG / "partners.yaml", load_municipalities(CONFIG / "municipalities.yaml"))
NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
NEEDS = [Category.AIRPORT_RECEPTION, Category.TRANSPORT, Category.HOUSING, Category.EDUCATION]


def facts(hours_ahead: float | None, point: str = "OHD", municipality: str = "struga") -> CaseFacts:
    arrival = (
        None
        if hours_ahead is None
        else ExpectedArrival(
            mode=ArrivalMode.FLIGHT,
            carrier="Wizz Air",
            number="W6 1",
            arrival_point=point,
            scheduled_at=NOW + timedelta(hours=hours_ahead),
            meeting_code="BCD-FGH",
        )
    )
    return CaseFacts(
        case_id=UUID(int=1),
        programme_id="DE-STARTHILFEPLUS",
        municipality=municipality,
        household=[
            HouseholdMember(age=40, sex=Sex.FEMALE, relationship=Relationship.PRINCIPAL),
            HouseholdMember(age=9, sex=Sex.MALE, relationship=Relationship.CHILD),
        ],
        needs=NEEDS,
        consent=dict.fromkeys(NEEDS, True),
        expected_arrival=arrival,
    )


def test_an_announced_family_gets_reception_transport_and_housing_and_education_waits() -> None:
    placed = {p.category: p for p in plan_referrals(facts(120), DIRECTORY, {}, NOW)}
    assert set(placed) == {Category.AIRPORT_RECEPTION, Category.TRANSPORT, Category.HOUSING}
    assert {p.status for p in placed.values()} == {ReferralStatus.ISSUED}
    reception = DIRECTORY.partner(placed[Category.AIRPORT_RECEPTION].partner_id or "")
    transport = DIRECTORY.partner(placed[Category.TRANSPORT].partner_id or "")
    assert reception is not None
    assert "OHD" in reception.arrival_points
    assert transport is not None
    assert "OHD" in transport.arrival_points
    assert "struga" in transport.municipalities


def test_once_arrived_reception_and_transport_are_not_routed_and_the_others_are() -> None:
    placed = {p.category for p in plan_referrals(facts(None), DIRECTORY, {}, NOW)}
    assert placed == {Category.HOUSING, Category.EDUCATION}
    assert not routed_now(Category.TRANSPORT, facts(None), DIRECTORY)


def test_the_answer_is_due_before_the_flight_by_the_partners_own_margin() -> None:
    for partner_id in ("lake-region-shuttles", "vardar-transfers"):
        partner = DIRECTORY.partner(partner_id)
        assert partner is not None
        service = partner.categories[Category.TRANSPORT]
        # far ahead: the partner's deadline_hours; close: answer_before_arrival_hours before landing
        assert respond_by(Category.TRANSPORT, service, facts(24 * 30), NOW) == NOW + timedelta(
            hours=service.deadline_hours
        )
        close = facts(service.answer_before_arrival_hours + 5)
        assert respond_by(Category.TRANSPORT, service, close, NOW) == NOW + timedelta(hours=5)
        # a late announcement leaves no time: due at once
        assert respond_by(Category.TRANSPORT, service, facts(2), NOW) == NOW


def test_housing_deadline_does_not_depend_on_the_flight() -> None:
    partner = next(p for p in DIRECTORY.partners if p.serves(Category.HOUSING))
    service = partner.categories[Category.HOUSING]
    assert respond_by(Category.HOUSING, service, facts(2), NOW) == NOW + timedelta(
        hours=service.deadline_hours
    )
