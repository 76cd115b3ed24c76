"""What each category of partner may see about a case (DESIGN rule 7): a minimal field list.

The models below ARE the lists: a payload is built by filling one of them, so a field not declared
here cannot reach a partner, and the AsyncAPI contract shows partners exactly these shapes.

A vulnerability reaches a partner only where its category declares it (`DECLARED_VULNERABILITIES`:
a medical partner may be told of a medical condition, a housing partner that the returnee is a
victim of trafficking, so that a safe house can be chosen) — and only with the returnee's consent
to share with that category, without which no referral is issued at all. Routing looks at no other
vulnerability (routing.py), so nothing a partner receives can betray one its category does not
declare: not the payload, not the priority (the caseworker's urgency), not the choice of partner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.codes import (
    ArrivalMode,
    BusinessPlanStage,
    BusinessSector,
    Category,
    Sex,
    SpecialAssistance,
    Vulnerability,
)
from shared.events.intake import CaseFacts, HouseholdMember, WorkExperience

V = Vulnerability

# What each category's partners may be told, with the returnee's consent to share with that
# category. A partner whose eligibility requires a vulnerability (a specialised partner) may serve
# only categories that declare it (the directory refuses anything else when it is loaded).
DECLARED_VULNERABILITIES: dict[Category, frozenset[Vulnerability]] = {
    Category.HOUSING: frozenset({V.VICTIM_OF_TRAFFICKING, V.UNACCOMPANIED_MINOR}),
    Category.EDUCATION: frozenset({V.UNACCOMPANIED_MINOR}),
    Category.EMPLOYMENT: frozenset(),
    Category.MEDICAL: frozenset({V.MEDICAL_CONDITION, V.DISABILITY, V.VICTIM_OF_TRAFFICKING}),
    Category.COUNSELLING: frozenset({V.VICTIM_OF_TRAFFICKING, V.UNACCOMPANIED_MINOR}),
    Category.VOCATIONAL_TRAINING: frozenset(),
    Category.MICRO_BUSINESS: frozenset(),
    # what the people meeting and driving the family must arrange is said by its special
    # assistance needs (a wheelchair, a minor's escort), not by vulnerability codes
    Category.AIRPORT_RECEPTION: frozenset(),
    Category.TRANSPORT: frozenset(),
}


def disclosed(category: Category, vulnerabilities: Iterable[Vulnerability]) -> list[Vulnerability]:
    """The case's vulnerabilities a partner of `category` may be told of (in code order): the only
    ones routing and the payload may depend on."""
    present = DECLARED_VULNERABILITIES[category].intersection(vulnerabilities)
    if not present:
        return []
    return [v for v in _CODE_ORDER if v in present]


_CODE_ORDER = tuple(Vulnerability)  # iterating the enum class itself is slow on a hot path


# Ages at which a member counts as school-age for an education referral.
SCHOOL_AGE_MIN, SCHOOL_AGE_MAX = 5, 18


def is_school_age(member: HouseholdMember) -> bool:
    return SCHOOL_AGE_MIN <= member.age <= SCHOOL_AGE_MAX


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HousingPayload(_Payload):
    """For housing partners: how many people, how old, and where."""

    household_size: int = Field(ge=0)
    ages: list[int]
    municipality: str
    vulnerabilities: list[Vulnerability] = Field(
        default=[], description="only those housing declares: victim_of_trafficking, unaccompanied_minor"
    )


class SchoolAgeMember(_Payload):
    age: int
    school_level: str | None = None


class EducationPayload(_Payload):
    """For education partners: the school-age members' ages and school levels."""

    school_age_members: list[SchoolAgeMember]
    vulnerabilities: list[Vulnerability] = Field(
        default=[], description="only the one education declares: unaccompanied_minor"
    )


class EmploymentPayload(_Payload):
    """For employment partners: skills and work history."""

    skills: list[str]
    work_history: list[WorkExperience]


class VocationalTrainingPayload(_Payload):
    """For training centres: what the returnee can do already and what they want to learn."""

    skills: list[str]
    work_history: list[WorkExperience]
    training_wanted: list[str] = Field(description="the courses or trades the returnee wants to learn")


class MicroBusinessPayload(_Payload):
    """For business advisory services: the business's sector and how far its plan has come (the
    plan itself, its figures and the returnee's circumstances stay with the caseworker)."""

    business_sector: BusinessSector | None
    plan_stage: BusinessPlanStage | None


class CarePayload(_Payload):
    """For medical and counselling partners: ages, and the vulnerabilities the category declares
    (urgency is the referral's priority)."""

    ages: list[int]
    vulnerabilities: list[Vulnerability] = Field(
        default=[],
        description="medical: medical_condition, disability, victim_of_trafficking; counselling: "
        "victim_of_trafficking, unaccompanied_minor — only those, and only the case's own",
    )


class Traveller(_Payload):
    age: int
    sex: Sex


class ArrivalPayload(_Payload):
    """For airport reception and transport partners: the flight or crossing, who travels (ages and
    sex, no names), what they must arrange, and where the family goes."""

    arrival_point: str = Field(description="a code of arrival-points.yaml, e.g. SKP")
    scheduled_at: datetime
    mode: ArrivalMode
    carrier: str
    number: str = Field(description="the flight or bus number")
    household_size: int = Field(ge=0)
    travellers: list[Traveller]
    special_assistance: list[SpecialAssistance] = []
    municipality: str = Field(description="the destination municipality")


class ReceptionPayload(ArrivalPayload):
    """Reception must recognise the family at the gate. The minimum that does it is a meeting code:
    intake makes a short random code when the return is announced, the office (or the mission) gives
    it to the family, and the reception staff hold it up or ask for it. No name leaves intake: a name
    on a sign or in a partner's system would identify the person to anyone who sees it, would need
    the principal's consent and an erasure at every partner, and adds nothing the code, the flight
    and the travellers' ages and sex do not already give the people meeting the flight."""

    meeting_code: str = Field(description="the code the family was given; it names nobody")


PAYLOAD_MODELS: dict[Category, type[_Payload]] = {
    Category.HOUSING: HousingPayload,
    Category.EDUCATION: EducationPayload,
    Category.EMPLOYMENT: EmploymentPayload,
    Category.MEDICAL: CarePayload,
    Category.COUNSELLING: CarePayload,
    Category.VOCATIONAL_TRAINING: VocationalTrainingPayload,
    Category.MICRO_BUSINESS: MicroBusinessPayload,
    Category.AIRPORT_RECEPTION: ReceptionPayload,
    Category.TRANSPORT: ArrivalPayload,
}

PAYLOAD_FIELDS: dict[Category, frozenset[str]] = {
    category: frozenset(model.model_fields) for category, model in PAYLOAD_MODELS.items()
}


def payload_for(category: Category, facts: CaseFacts) -> dict[str, Any]:
    """The JSON-ready payload a partner of `category` receives about this case."""
    ages = [member.age for member in facts.household]
    told = disclosed(category, facts.vulnerabilities)
    model: _Payload
    arrival = facts.expected_arrival
    if category in (Category.AIRPORT_RECEPTION, Category.TRANSPORT):
        if arrival is None:
            raise ValueError(f"a {category.value} payload needs the expected arrival")
        trip = {
            "arrival_point": arrival.arrival_point,
            "scheduled_at": arrival.scheduled_at,
            "mode": arrival.mode,
            "carrier": arrival.carrier,
            "number": arrival.number,
            "household_size": len(facts.household),
            "travellers": [Traveller(age=m.age, sex=m.sex) for m in facts.household],
            "special_assistance": arrival.special_assistance,
            "municipality": facts.municipality,
        }
        if category is Category.AIRPORT_RECEPTION:
            model = ReceptionPayload(**trip, meeting_code=arrival.meeting_code)
        else:
            model = ArrivalPayload(**trip)
    elif category is Category.HOUSING:
        model = HousingPayload(
            household_size=len(facts.household),
            ages=ages,
            municipality=facts.municipality,
            vulnerabilities=told,
        )
    elif category is Category.EDUCATION:
        model = EducationPayload(
            school_age_members=[
                SchoolAgeMember(age=m.age, school_level=m.school_level)
                for m in facts.household
                if is_school_age(m)
            ],
            vulnerabilities=told,
        )
    elif category is Category.EMPLOYMENT:
        model = EmploymentPayload(skills=list(facts.skills), work_history=list(facts.work_history))
    elif category is Category.VOCATIONAL_TRAINING:
        model = VocationalTrainingPayload(
            skills=list(facts.skills),
            work_history=list(facts.work_history),
            training_wanted=list(facts.training_wanted),
        )
    elif category is Category.MICRO_BUSINESS:
        model = MicroBusinessPayload(
            business_sector=facts.business_sector, plan_stage=facts.business_plan_stage
        )
    else:
        model = CarePayload(ages=ages, vulnerabilities=told)
    return model.model_dump(mode="json")
