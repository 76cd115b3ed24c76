"""What a caseworker sends: registration, assessment, plan, consent and closure requests.

Unknown fields are refused; fields are read in the strict formats of `formats.py`, which also give
the OpenAPI document their exact JSON Schema. Field validators that need reference data or today's
date read them from the validation context (`validation.Checks`), so all field-level problems are
reported at once; rules across fields live in `rules.py`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
from pydantic import field_validator as validates
from pydantic_core import PydanticCustomError

from services.intake.core.formats import (
    JSON_INTEGER,
    MULTI_LINE,
    CanonicalUuid,
    IsoDate,
    JsonBool,
    TypedText,
    text_pattern,
)
from services.intake.core.people import date_of_birth_problem
from services.intake.core.validation import checks_of
from shared.events.codes import (
    AssistanceType,
    BusinessPlanStage,
    BusinessSector,
    Category,
    ClosureReason,
    Relationship,
    Sex,
    Urgency,
    Vulnerability,
)
from shared.money import Money

MAX_MEMBERS = 20

C = TypeVar("C", bound=StrEnum)


def _unique_in_code_order(values: list[C]) -> list[C]:
    """Codes as a set, in their declared order: `[needs]` from a form or a retry compare equal."""
    if not values:
        return []
    order = list(type(values[0]))
    return sorted(set(values), key=order.index)


def _rule(message: str) -> PydanticCustomError:
    return PydanticCustomError("rule", message)


PersonName = Annotated[
    str, TypedText(text_pattern(1, 200), "1 to 200 characters, without control characters")
]
CountryCode = Annotated[
    str,
    TypedText(
        text_pattern(2, 2, inner="[A-Za-z]", edge="[A-Za-z]"),
        "a two-letter country code, e.g. DE",
        upper=True,
    ),
]
OfficeCode = Annotated[
    str,
    TypedText(
        text_pattern(1, 50, inner="[A-Za-z0-9._-]", edge="[A-Za-z0-9._-]"),
        "1 to 50 letters, digits, . _ or -",
    ),
]
ShortText = Annotated[str, TypedText(text_pattern(1, 80), "1 to 80 characters, without control characters")]
Note = Annotated[
    str,
    TypedText(
        text_pattern(0, 2000, inner=MULTI_LINE),
        "at most 2000 characters, without control characters other than tabs and line breaks",
    ),
]
# letters and digits as printed, upper-cased: "p 123/4" and "P 123/4" are one document
DocumentNumber = Annotated[
    str,
    TypedText(
        text_pattern(3, 40, inner="[A-Za-z0-9/ -]", edge="[A-Za-z0-9/-]"),
        "3 to 40 letters, digits, spaces, / or -",
        upper=True,
    ),
]
Needs = Annotated[list[Category], AfterValidator(_unique_in_code_order)]
Vulnerabilities = Annotated[list[Vulnerability], AfterValidator(_unique_in_code_order)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    TRAVEL_DOCUMENT = "travel_document"  # e.g. an emergency travel document issued for the return
    BIRTH_CERTIFICATE = "birth_certificate"
    OTHER = "other"


class IdentityDocument(Input):
    type: DocumentType
    number: DocumentNumber


class Member(Input):
    """One person in the household. Personal data: it never leaves intake's database."""

    name: PersonName
    date_of_birth: IsoDate
    sex: Sex
    relationship: Relationship
    identity_document: IdentityDocument | None = None

    @validates("date_of_birth")
    @classmethod
    def _plausible_birth(cls, value: date, info: ValidationInfo) -> date:
        checks = checks_of(info)
        if checks and (problem := date_of_birth_problem(value, checks.today)):
            raise _rule(problem)
        return value


class Household(Input):
    """Who returns, where to and under which programme: what a registration and an announcement
    both say (validators for the reference data here, so both check them alike)."""

    members: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    # declared before municipality: the municipality validator reads the validated country
    country_of_return: CountryCode
    municipality: str
    sending_country: CountryCode
    # declared after the sending country: left out, it is the sending country's default programme
    # (`sending_countries` in donor-policies.yaml), resolved when the registration is validated
    programme_id: str | None = Field(default=None, validate_default=True)

    @validates("programme_id")
    @classmethod
    def _known_programme(cls, value: str | None, info: ValidationInfo) -> str | None:
        checks = checks_of(info)
        if checks is None:
            return value
        if value is None:
            country = info.data.get("sending_country")
            if country is None:  # the sending country is itself invalid: its problem is reported
                return None
            default = checks.catalogue.default_programme(country)
            if default is None:
                raise _rule(f"name the programme: returns from {country} have no default programme")
            return default
        if value not in checks.catalogue.programmes:
            known = ", ".join(sorted(checks.catalogue.programmes))
            raise _rule(f"unknown programme {value!r}; known: {known}")
        return value

    @validates("country_of_return")
    @classmethod
    def _known_country(cls, value: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        if checks and value not in checks.catalogue.countries:
            known = ", ".join(sorted(checks.catalogue.countries))
            raise _rule(f"intake serves returns to {known}, not {value!r}")
        return value

    @validates("municipality")
    @classmethod
    def _municipality_of_country(cls, value: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        country = info.data.get("country_of_return")
        if checks and country in checks.catalogue.countries:
            codes = checks.catalogue.municipality_codes(country)
            if value not in codes:
                raise _rule(f"{value!r} is not a municipality of {country}; one of: {', '.join(codes)}")
        return value

    @validates("sending_country")
    @classmethod
    def _not_the_country_of_return(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("country_of_return"):
            raise _rule("the sending country cannot be the country of return")
        return value

    @property
    def programme(self) -> str:
        """The case's programme: the one named or the sending country's default (validation with
        the catalogue resolves it, and every registration intake acts on is validated so)."""
        return self.programme_id or ""


class Registration(Household):
    """`POST /v1/cases`. The consent given here is recorded as given by the registering user, now."""

    arrival_date: IsoDate
    vulnerabilities: Vulnerabilities = []
    needs: Needs = []
    consent: dict[Category, JsonBool] = {}
    # the caseworker has checked that a likely duplicate is a different person
    confirm_distinct_person: JsonBool = False

    @validates("arrival_date")
    @classmethod
    def _arrived_already(cls, value: date, info: ValidationInfo) -> date:
        checks = checks_of(info)
        if checks and value > checks.today:
            raise _rule("the arrival date cannot be in the future: register a returnee on arrival")
        return value


class WorkExperience(Input):
    sector: ShortText
    years: Annotated[int, Field(ge=0, le=80), JSON_INTEGER]


class UrgencyReason(StrEnum):
    """Why a caseworker judged a case high or urgent. Kept in intake: never published, since a
    reason such as `safety_risk` would tell a partner more than the urgency itself."""

    SAFETY_RISK = "safety_risk"
    HEALTH_RISK = "health_risk"
    NO_SHELTER = "no_shelter"
    YOUNG_CHILDREN = "young_children"
    LOSS_OF_INCOME = "loss_of_income"
    TIME_LIMITED_OPPORTUNITY = "time_limited_opportunity"
    OTHER = "other"


class Assessment(Input):
    """`POST /v1/cases/{id}/assessment`: what the interview found; replaces needs and vulnerabilities.

    `urgency` is the caseworker's judgement and sets the priority of the case's referrals (never
    the vulnerabilities); high and urgent need an `urgency_reason`, normal takes none. A
    `vocational_training` need says which training is wanted (`training_wanted`); a `micro_business`
    need says the business's sector and how far its plan has come — and neither goes without its
    need (rules.service_detail_problems)."""

    needs: Needs
    vulnerabilities: Vulnerabilities
    skills: list[ShortText] = Field(default=[], max_length=20)
    work_history: list[WorkExperience] = Field(default=[], max_length=20)
    training_wanted: list[ShortText] = Field(default=[], max_length=10)
    business_sector: BusinessSector | None = None
    business_plan_stage: BusinessPlanStage | None = None
    urgency: Urgency = Urgency.NORMAL
    urgency_reason: UrgencyReason | None = None


class AssistanceRequest(Input):
    assistance_type: AssistanceType
    # integer minor units in the programme's currency
    requested: Annotated[Money, Field(json_schema_extra={"properties": {"amount": {"minimum": 1}}})]

    @validates("requested")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise _rule("a requested amount must be more than zero")
        return value


class PlanProposal(Input):
    """`POST /v1/cases/{id}/plan`: the reintegration plan a supervisor will approve."""

    assistance: list[AssistanceRequest] = Field(min_length=1, max_length=len(AssistanceType))
    note: Note | None = None


class PlanApproval(Input):
    """`POST /v1/cases/{id}/plan/approve`. Naming the plan guards against approving a plan that
    was replaced since the supervisor read it."""

    plan_id: CanonicalUuid | None = None


class Reassignment(Input):
    """`POST /v1/cases/{id}/assignment` (supervisors): who works on the case from now on, and its
    office; either may be left out (the case is then nobody's, or no office's)."""

    assigned_to: CanonicalUuid | None = None
    office: OfficeCode | None = None


class ConsentChange(Input):
    """`POST /v1/cases/{id}/consent`: the categories named change; the others stay as they are."""

    consent: dict[Category, JsonBool] = Field(min_length=1)


class Closure(Input):
    reason: ClosureReason
    note: Note | None = None
