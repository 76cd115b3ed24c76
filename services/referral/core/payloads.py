"""What each category of partner may see about a case (DESIGN rule 7): a minimal field list.

The models below ARE the lists: a payload is built by filling one of them, so a field not declared
here cannot reach a partner, and the AsyncAPI contract shows partners exactly these shapes. No
vulnerability flag appears in any of them; a partner learns urgency only from the referral's priority.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.codes import Category
from shared.events.intake import CaseFacts, HouseholdMember, WorkExperience

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


class SchoolAgeMember(_Payload):
    age: int
    school_level: str | None = None


class EducationPayload(_Payload):
    """For education partners: the school-age members' ages and school levels."""

    school_age_members: list[SchoolAgeMember]


class EmploymentPayload(_Payload):
    """For employment partners: skills and work history."""

    skills: list[str]
    work_history: list[WorkExperience]


class CarePayload(_Payload):
    """For medical and counselling partners: ages only (urgency is the referral's priority)."""

    ages: list[int]


PAYLOAD_MODELS: dict[Category, type[_Payload]] = {
    Category.HOUSING: HousingPayload,
    Category.EDUCATION: EducationPayload,
    Category.EMPLOYMENT: EmploymentPayload,
    Category.MEDICAL: CarePayload,
    Category.COUNSELLING: CarePayload,
}

PAYLOAD_FIELDS: dict[Category, frozenset[str]] = {
    category: frozenset(model.model_fields) for category, model in PAYLOAD_MODELS.items()
}


def payload_for(category: Category, facts: CaseFacts) -> dict[str, Any]:
    """The JSON-ready payload a partner of `category` receives about this case."""
    ages = [member.age for member in facts.household]
    model: _Payload
    if category is Category.HOUSING:
        model = HousingPayload(
            household_size=len(facts.household), ages=ages, municipality=facts.municipality
        )
    elif category is Category.EDUCATION:
        model = EducationPayload(
            school_age_members=[
                SchoolAgeMember(age=m.age, school_level=m.school_level)
                for m in facts.household
                if is_school_age(m)
            ]
        )
    elif category is Category.EMPLOYMENT:
        model = EmploymentPayload(skills=list(facts.skills), work_history=list(facts.work_history))
    else:
        model = CarePayload(ages=ages)
    return model.model_dump(mode="json")
