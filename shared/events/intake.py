"""Events intake publishes on `intake.returnees.v1`, keyed by case id.

They carry ids, codes and what referral and grants need to decide: ages, sex and relationships,
never names, contacts or document numbers (DESIGN rule 7).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.money import Money

from .codes import (
    ArrivalCancellationReason,
    ArrivalMetBy,
    ArrivalMode,
    AssistanceType,
    BusinessPlanStage,
    BusinessSector,
    Category,
    ClosureReason,
    Dimension,
    ErasureReason,
    Relationship,
    ReopenReason,
    Sex,
    SpecialAssistance,
    Urgency,
    Vulnerability,
)
from .envelope import Event


class HouseholdMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    age: int = Field(ge=0, le=120)
    sex: Sex
    relationship: Relationship
    # e.g. "primary", "lower_secondary", "upper_secondary", "vocational", "tertiary", "none"
    school_level: str | None = None


class WorkExperience(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    sector: str
    years: int = Field(ge=0, le=80)


class ExpectedArrival(BaseModel):
    """How and when an announced family is expected: what reception and transport work from. No
    names: the family is recognised at the gate by `meeting_code`, a code intake made and the
    office gave the family (see the referral contract on why no name travels)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    mode: ArrivalMode
    carrier: str = Field(min_length=1, max_length=80)
    number: str = Field(min_length=1, max_length=20, description="the flight or bus number")
    arrival_point: str = Field(description="a code of deploy/config/arrival-points.yaml, e.g. SKP")
    scheduled_at: datetime = Field(description="the scheduled arrival, an instant with its offset")
    special_assistance: list[SpecialAssistance] = []
    meeting_code: str = Field(min_length=4, max_length=12)


class CaseFacts(Event):
    """What referral routes on: shared by registration and assessment."""

    case_id: UUID
    programme_id: str
    municipality: str
    household: list[HouseholdMember]
    vulnerabilities: list[Vulnerability] = []
    needs: list[Category] = []
    # per category: may this returnee's data be shared with a partner of that category?
    consent: dict[Category, bool] = {}
    skills: list[str] = []
    work_history: list[WorkExperience] = []
    # for a vocational training partner: the courses or trades the returnee wants to learn
    training_wanted: list[str] = []
    # for a business advisory service: what the micro-business would do and how far its plan is
    business_sector: BusinessSector | None = None
    business_plan_stage: BusinessPlanStage | None = None
    # the caseworker's judgement (the assessment's; normal until assessed): referral priority
    # comes from it and from the arrival date, never from the vulnerabilities
    urgency: Urgency = Urgency.NORMAL
    arrival_date: date | None = None
    # while the case is expected (announced, not arrived yet): how and when; None once the family
    # has arrived, and on walk-in registrations (additive: absent on events from before issue 13)
    expected_arrival: ExpectedArrival | None = None


class ReturneeRegistered(CaseFacts):
    event_type = "ReturneeRegistered"

    country_of_return: str = Field(min_length=2, max_length=2)
    sending_country: str = Field(min_length=2, max_length=2)
    arrival_date: date
    registered_by: str
    # the case's first assignment (additive: absent on events from before it)
    assigned_to: UUID | None = None  # a user id
    office: str | None = None


class NeedsAssessed(CaseFacts):
    event_type = "NeedsAssessed"

    assessed_by: str


class CaseAssigned(Event):
    """Who works on a case now: the caseworker (a user id) and the office it belongs to; either may
    be none. A case's first assignment rides on ReturneeRegistered (`assigned_to`, `office`); this
    event follows each reassignment by a supervisor. Referral keeps it, so that a caseworker limited
    to their own or their office's cases sees only those cases' referrals there too."""

    event_type = "CaseAssigned"

    case_id: UUID
    programme_id: str
    assigned_to: UUID | None = None  # a user id
    office: str | None = None
    assigned_by: str


class ConsentChanged(Event):
    event_type = "ConsentChanged"

    case_id: UUID
    consent: dict[Category, bool]
    granted: list[Category] = []
    withdrawn: list[Category] = []
    recorded_by: str


class PlannedAssistance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    assistance_type: AssistanceType
    requested: Money


class ReintegrationPlanApproved(Event):
    event_type = "ReintegrationPlanApproved"

    case_id: UUID
    plan_id: UUID
    programme_id: str
    arrival_date: date
    household: list[HouseholdMember]
    adults: int = Field(ge=0)
    children: int = Field(ge=0)
    vulnerabilities: list[Vulnerability] = []
    assistance: list[PlannedAssistance]
    approved_by: str
    # the case's assessed needs when the plan was approved: a policy may fund an assistance type
    # only for a case that needs its category (None on events from before it: not checked)
    needs: list[Category] | None = None


class ReintegrationPlanAmended(ReintegrationPlanApproved):
    """A supervisor (not the caseworker who proposed it) approved an amendment of an approved plan
    (issue 15): `assistance` is the plan as amended, whole — what grants sizes the grant to now,
    under the same rules as the approval; `previous` what it was. `approved_by` approved the
    amendment. Grants adjusts the plan's grant: installments of an assistance type whose amount
    changed and that still wait for their milestone are cancelled (their budget released), and
    the type's new amount, less what is already due or paid, is scheduled anew (committed) — in
    balanced ledger transactions, never by editing one."""

    event_type = "ReintegrationPlanAmended"

    amendment_id: UUID
    previous: list[PlannedAssistance]
    proposed_by: str  # a user id


class MonitoringVisitRecorded(Event):
    """A caseworker visited the returnee and recorded the reintegration sustainability survey
    (`deploy/config/monitoring.yaml`). Codes and scores only, never free text: which visit it was,
    the answer code per indicator, the scores (each between 0 and 1), and what was found.
    Grants makes outcome installments due on it; reporting counts coverage and scores."""

    event_type = "MonitoringVisitRecorded"

    case_id: UUID
    programme_id: str
    visit_id: UUID
    visit_number: int = Field(ge=1, description="the Nth visit recorded for the case (1, 2, ...)")
    scheduled_month: int | None = Field(
        default=None,
        ge=1,
        description="the month after arrival of the programme's schedule this visit answers (e.g. 3, 6, "
        "12); none for a visit beyond the schedule",
    )
    visited_on: date
    survey: str = Field(description="the survey's id and version, e.g. rss-illustrative-1")
    answers: dict[str, str] = Field(description="indicator code -> answer code")
    indicator_scores: dict[str, float] = Field(description="indicator code -> score in [0, 1]")
    dimension_scores: dict[Dimension, float] = Field(description="dimension -> score in [0, 1]")
    composite: float = Field(ge=0, le=1, description="the weighted mean of the dimension scores")
    # None: the plan supported no business, or the visit did not see it
    business_operating: bool | None = None
    in_municipality: bool
    re_migrated: bool
    recorded_by: str  # a user id


class CaseClosed(Event):
    event_type = "CaseClosed"

    case_id: UUID
    reason: ClosureReason
    closed_by: str


class HouseholdChanged(CaseFacts):
    """A caseworker added, removed or corrected household members (issue 15): the case's routing
    facts as they stand now, as NeedsAssessed carries them, so that referral places what is issued
    from now on with the household as it is. Ages, sex and relationships only: names, dates of
    birth, documents and contact details stay in intake (a phone number or an address changes no
    event at all, since no category's payload declares a contact)."""

    event_type = "HouseholdChanged"

    changed_by: str  # a user id


class CaseReopened(Event):
    """A supervisor reopened a closed case, with a reason (issue 15). What the closure ended stays
    ended: referral keeps its withdrawn referrals withdrawn and issues nothing until the next facts
    event (an assessment or a household change) says what is needed; grants does NOT revive a
    grant the closure closed — its cancelled installments and released budget stay so, and a new
    approved plan is needed for a new grant."""

    event_type = "CaseReopened"

    case_id: UUID
    programme_id: str
    reason: ReopenReason
    reopened_by: str  # a user id


class PersonalDataErased(Event):
    """The case's personal data is gone from intake (names, dates of birth, documents, contacts,
    free text); ids and codes stay. Every service drops what it copied of the case, and referral
    asks each partner that ever received the case to delete what it holds."""

    event_type = "PersonalDataErased"

    case_id: UUID
    reason: ErasureReason
    # the user who erased it; None when the retention job did
    erased_by: str | None = None


# --- the return itself (issue 13) -------------------------------------------------------------------


class ArrivalAnnounced(CaseFacts):
    """A sending-country mission or a caseworker announced an expected return: the case starts as
    `expected`. `arrival_date` is the scheduled day (at the arrival point); `expected_arrival`
    is set. Referral issues reception, transport and the categories its directory issues on
    announcement."""

    event_type = "ArrivalAnnounced"

    country_of_return: str = Field(min_length=2, max_length=2)
    sending_country: str = Field(min_length=2, max_length=2)
    announced_by: str
    assigned_to: UUID | None = None
    office: str | None = None


class ArrivalRescheduled(CaseFacts):
    """The flight or crossing changed (`expected_arrival` is the new one): referral withdraws the
    open reception and transport referrals and issues them anew, with deadlines measured back from
    the new time."""

    event_type = "ArrivalRescheduled"

    previous_scheduled_at: datetime
    rescheduled_by: str


class ArrivalCancelled(Event):
    """The announced return will not happen: the case ends, every open referral is withdrawn."""

    event_type = "ArrivalCancelled"

    case_id: UUID
    programme_id: str
    reason: ArrivalCancellationReason
    cancelled_by: str


class ArrivalMissed(Event):
    """Nobody confirmed the arrival by the scheduled time plus the grace period: the case ends,
    every open referral is withdrawn, no grant opens."""

    event_type = "ArrivalMissed"

    case_id: UUID
    programme_id: str
    scheduled_at: datetime


class ArrivalConfirmed(CaseFacts):
    """The family arrived: `arrival_date` is the confirmed day (what `days_after_arrival`
    installments count from), `household` those who travelled, `expected_arrival` None. Referral
    now issues every other needed category."""

    event_type = "ArrivalConfirmed"

    arrived_at: datetime
    scheduled_at: datetime
    met_by: ArrivalMetBy
    members_not_travelled: int = Field(ge=0, description="how many announced members did not travel")
    confirmed_by: str
