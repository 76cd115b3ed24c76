"""Small builders for routing tests: case facts and partners with only what a test cares about."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from services.referral.core.directory import Directory, Eligibility, Partner, Service
from shared.events import Category, Relationship, Sex, Urgency, Vulnerability
from shared.events.intake import CaseFacts, HouseholdMember, WorkExperience


def member(
    age: int, sex: Sex = Sex.FEMALE, relationship: Relationship = Relationship.CHILD, **extra: Any
) -> HouseholdMember:
    return HouseholdMember(age=age, sex=sex, relationship=relationship, **extra)


def facts(
    *,
    needs: list[Category] | None = None,
    consent: dict[Category, bool] | None = None,
    municipality: str = "skopje",
    household: list[HouseholdMember] | None = None,
    vulnerabilities: list[Vulnerability] | None = None,
    case_id: UUID | None = None,
    urgency: Urgency = Urgency.NORMAL,
    arrival_date: date | None = None,
) -> CaseFacts:
    needs = [Category.HOUSING] if needs is None else needs
    return CaseFacts(
        case_id=case_id or uuid4(),
        programme_id="NL-AVRR",
        municipality=municipality,
        household=household
        if household is not None
        else [member(34, Sex.MALE, Relationship.PRINCIPAL), member(9, school_level="primary")],
        vulnerabilities=vulnerabilities or [],
        needs=needs,
        consent=consent if consent is not None else dict.fromkeys(needs, True),
        skills=["welding", "driving licence C"],
        work_history=[WorkExperience(sector="construction", years=6)],
        urgency=urgency,
        arrival_date=arrival_date,
    )


def partner(
    partner_id: str,
    *categories: Category,
    municipalities: tuple[str, ...] = ("skopje",),
    capacity: int = 5,
    deadline_hours: int = 48,
    eligibility: Eligibility | None = None,
) -> Partner:
    return Partner(
        id=partner_id,
        name=partner_id.replace("-", " ").title(),
        municipalities=municipalities,
        categories={
            c: Service(capacity=capacity, deadline_hours=deadline_hours)
            for c in categories or [Category.HOUSING]
        },
        eligibility=eligibility or Eligibility(),
    )


def directory(*partners: Partner) -> Directory:
    return Directory(partners=partners)
