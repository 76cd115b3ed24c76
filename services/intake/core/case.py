"""A case as intake keeps it: the household, where it returns to, its needs, consent, plan and
closure, and who changed it last. Stored as one JSON document per case; read back without the
catalogue checks (see `validation.Checks`), so old cases stay readable."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from services.intake.core.requests import AssistanceRequest, Member, UrgencyReason, WorkExperience
from shared.events.codes import (
    ArrivalCancellationReason,
    ArrivalMetBy,
    ArrivalMode,
    BusinessPlanStage,
    BusinessSector,
    Category,
    ClosureReason,
    ErasureReason,
    Relationship,
    ReopenReason,
    Sex,
    SpecialAssistance,
    Urgency,
    Vulnerability,
)
from shared.money import Money


class CaseStatus(StrEnum):
    # announced by a sending mission or a caseworker; the family has not arrived yet
    EXPECTED = "expected"
    # the announced return did not happen: cancelled, or nobody confirmed it in time (final)
    ARRIVAL_CANCELLED = "arrival_cancelled"
    ARRIVAL_MISSED = "arrival_missed"
    REGISTERED = "registered"
    ASSESSED = "assessed"
    PLAN_PROPOSED = "plan_proposed"
    PLAN_APPROVED = "plan_approved"
    CLOSED = "closed"


class PlanStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"


class Stored(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConsentRecord(Stored):
    agrees: bool
    recorded_by: UUID
    recorded_at: datetime


class PlanAmendment(Stored):
    """A change to an approved plan (issue 15): the plan's lines as amended, whole, and what they
    were when it was proposed; approved by a supervisor who did not propose it."""

    id: UUID
    status: PlanStatus
    assistance: list[AssistanceRequest]
    previous: list[AssistanceRequest]
    note: str | None = None
    proposed_by: UUID
    proposed_at: datetime
    approved_by: UUID | None = None
    approved_at: datetime | None = None


class Plan(Stored):
    id: UUID
    status: PlanStatus
    assistance: list[AssistanceRequest]
    note: str | None = None
    proposed_by: UUID
    proposed_at: datetime
    approved_by: UUID | None = None
    approved_at: datetime | None = None
    # the amendments approved since, oldest first (`assistance` is the plan as last amended)
    amendments: list[PlanAmendment] = []

    def total(self) -> Money | None:
        """The sum of the plan's lines; None when they are in more than one currency."""
        currencies = {line.requested.currency for line in self.assistance}
        if len(currencies) != 1:
            return None
        total = Money.zero(currencies.pop())
        for line in self.assistance:
            total = total + line.requested
        return total


class ArrivalConfirmation(Stored):
    arrived_at: datetime
    met_by: ArrivalMetBy
    # positions in `members` of those announced who did not travel
    not_travelled: list[int] = []
    confirmed_by: UUID
    confirmed_at: datetime


class ArrivalCancellation(Stored):
    reason: ArrivalCancellationReason | None  # None: missed (nobody confirmed it in time)
    note: str | None = None
    ended_by: UUID | None  # None: the missed-arrivals job
    ended_at: datetime


class Arrival(Stored):
    """An announced return: the trip, who announced it, and how it ended (confirmed, or not)."""

    mode: ArrivalMode
    carrier: str
    number: str
    arrival_point: str
    scheduled_at: datetime
    special_assistance: list[SpecialAssistance] = []
    meeting_code: str
    announced_by: UUID
    announced_at: datetime
    confirmation: ArrivalConfirmation | None = None
    cancellation: ArrivalCancellation | None = None


class ClosureRecord(Stored):
    reason: ClosureReason
    note: str | None = None
    closed_by: UUID
    closed_at: datetime


class Contact(Stored):
    """How the office reaches the returnee. Personal data that stays in intake: no event carries
    it, and no category's payload declares it (services/referral/core/payloads.py)."""

    phone: str | None = None
    address: str | None = None


class Reopening(Stored):
    """A supervisor reopened the closed case; `closure` is the closure it undid."""

    reason: ReopenReason
    note: str | None = None
    reopened_by: UUID
    reopened_at: datetime
    closure: ClosureRecord


class Case(Stored):
    id: UUID
    status: CaseStatus
    programme_id: str
    country_of_return: str
    municipality: str
    sending_country: str
    arrival_date: date
    members: list[Member]
    vulnerabilities: list[Vulnerability] = []
    needs: list[Category] = []
    consent: dict[Category, ConsentRecord] = {}
    skills: list[str] = []
    work_history: list[WorkExperience] = []
    training_wanted: list[str] = []
    business_sector: BusinessSector | None = None
    business_plan_stage: BusinessPlanStage | None = None
    urgency: Urgency = Urgency.NORMAL
    urgency_reason: UrgencyReason | None = None
    plan: Plan | None = None
    closure: ClosureRecord | None = None
    registered_by: UUID
    registered_at: datetime
    updated_by: UUID
    updated_at: datetime
    # who works on the case and which office it belongs to (None on cases from before assignment):
    # users limited to their office's or their own cases see it by these
    assigned_to: UUID | None = None
    office: str | None = None
    # duplicates (core/merging.py): the announcements merged into this case, and, on an
    # announcement merged into another case, that case
    merged_from: list[UUID] = []
    merged_into: UUID | None = None
    # an announced return (None on walk-in registrations): `arrival_date` is its scheduled day
    # until the arrival is confirmed, the confirmed day after
    arrival: Arrival | None = None
    # issue 15: how the office reaches the returnee (None until a caseworker records it)
    contact: Contact | None = None
    # each reopening of the case, oldest first; and the plans a reopening set aside (an approved
    # plan whose grant the closure ended is not revived: a new plan is proposed and approved)
    reopenings: list[Reopening] = []
    earlier_plans: list[Plan] = []
    # an amendment of the approved plan waiting for a supervisor's approval
    amendment: PlanAmendment | None = None

    def travelled(self) -> list[Member]:
        """The members who travelled (everyone, unless the arrival's confirmation says otherwise)."""
        absent = (
            set(self.arrival.confirmation.not_travelled)
            if self.arrival and self.arrival.confirmation
            else set()
        )
        return [m for i, m in enumerate(self.members) if i not in absent]

    def ended_at(self) -> datetime | None:
        """When the case ended: its closure, or the end of a return that did not happen."""
        if self.closure is not None:
            return self.closure.closed_at
        if self.arrival is not None and self.arrival.cancellation is not None:
            return self.arrival.cancellation.ended_at
        return None


# --- after erasure ----------------------------------------------------------------------------------


class ErasedMember(Stored):
    """A household member once the personal data is gone: an age band at arrival, sex, relationship."""

    age_band: str
    sex: Sex
    relationship: Relationship


class ErasedPlan(Stored):
    id: UUID
    status: PlanStatus
    assistance: list[AssistanceRequest]
    proposed_by: UUID
    approved_by: UUID | None = None


class Erasure(Stored):
    reason: ErasureReason
    erased_by: UUID | None  # None: the retention job or an operator's command
    erased_at: datetime


class ErasedCase(Stored):
    """What stays of a case once its personal data is erased (`privacy.erased`): ids, codes, age
    bands and amounts — enough for reports and audits to add up, nothing that names the person.
    Names, dates of birth, documents, free text (skills, work history, notes) are gone."""

    id: UUID
    status: CaseStatus
    programme_id: str
    country_of_return: str
    municipality: str
    sending_country: str
    arrival_month: str  # YYYY-MM
    household: list[ErasedMember]
    vulnerabilities: list[Vulnerability]
    needs: list[Category]
    urgency: Urgency
    consent: dict[Category, bool]
    plan: ErasedPlan | None
    closure_reason: ClosureReason | None
    closed_at: datetime | None
    registered_by: UUID
    registered_at: datetime
    erasure: Erasure
    # who worked on the case and its office stay (ids and codes): scopes limited to an office or to
    # one's own cases still apply to what is left of it
    assigned_to: UUID | None = None
    office: str | None = None
