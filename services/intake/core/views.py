"""What each role reads. Caseworkers, supervisors and finance see the case as stored; auditors (and
admins, the data-protection officer) see it without personal data: ages instead of names and dates
of birth, no document numbers, no vulnerabilities, no urgency, no free-text notes. A case whose
personal data was erased is an ErasedCase for everyone, without its vulnerabilities for those who
may not see them; its timeline is read the same way (`timeline.withheld`)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel

from services.intake.core.case import (
    Case,
    CaseStatus,
    ErasedCase,
    ErasedMember,
    ErasedPlan,
    Erasure,
    PlanStatus,
)
from services.intake.core.people import age_on
from services.intake.core.permissions import PERSONAL_DATA_READERS
from services.intake.core.requests import AssistanceRequest
from shared.events.codes import Category, ClosureReason, Relationship, Sex
from shared.identity.model import User
from shared.privacy import sees_vulnerabilities


class HouseholdMemberView(BaseModel):
    age: int
    sex: Sex
    relationship: Relationship
    has_identity_document: bool


class PlanView(BaseModel):
    id: UUID
    status: PlanStatus
    assistance: list[AssistanceRequest]
    proposed_by: UUID
    approved_by: UUID | None


class RedactedCase(BaseModel):
    """A case for readers who may not see personal data."""

    id: UUID
    status: CaseStatus
    programme_id: str
    country_of_return: str
    municipality: str
    sending_country: str
    arrival_date: date
    household: list[HouseholdMemberView]
    needs: list[Category]
    consent: dict[Category, bool]
    plan: PlanView | None
    closure_reason: ClosureReason | None
    registered_by: UUID
    registered_at: datetime
    updated_at: datetime


class ErasedCaseView(BaseModel):
    """An erased case for readers who may not see vulnerabilities."""

    id: UUID
    status: CaseStatus
    programme_id: str
    country_of_return: str
    municipality: str
    sending_country: str
    arrival_month: str
    household: list[ErasedMember]
    needs: list[Category]
    consent: dict[Category, bool]
    plan: ErasedPlan | None
    closure_reason: ClosureReason | None
    closed_at: datetime | None
    registered_by: UUID
    registered_at: datetime
    erasure: Erasure


class CaseSummary(BaseModel):
    id: UUID
    status: CaseStatus
    programme_id: str
    municipality: str
    household_size: int
    principal_name: str | None  # None for readers who may not see personal data, and once erased
    arrival_date: date | None  # None once the case's personal data is erased
    registered_at: datetime
    erased: bool = False


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: UUID | None  # pass as `cursor` for the next page; None on the last one


def sees_personal_data(user: User) -> bool:
    return user.role in PERSONAL_DATA_READERS


def redacted(case: Case, today: date) -> RedactedCase:
    plan = case.plan
    return RedactedCase(
        id=case.id,
        status=case.status,
        programme_id=case.programme_id,
        country_of_return=case.country_of_return,
        municipality=case.municipality,
        sending_country=case.sending_country,
        arrival_date=case.arrival_date,
        household=[
            HouseholdMemberView(
                age=age_on(m.date_of_birth, today),
                sex=m.sex,
                relationship=m.relationship,
                has_identity_document=m.identity_document is not None,
            )
            for m in case.members
        ],
        needs=case.needs,
        consent={c: r.agrees for c, r in case.consent.items()},
        plan=PlanView(
            id=plan.id,
            status=plan.status,
            assistance=plan.assistance,
            proposed_by=plan.proposed_by,
            approved_by=plan.approved_by,
        )
        if plan
        else None,
        closure_reason=case.closure.reason if case.closure else None,
        registered_by=case.registered_by,
        registered_at=case.registered_at,
        updated_at=case.updated_at,
    )


def case_for(
    user: User, case: Case | ErasedCase, today: date
) -> Case | RedactedCase | ErasedCase | ErasedCaseView:
    if isinstance(case, ErasedCase):
        if sees_vulnerabilities(user.role):
            return case
        return ErasedCaseView.model_validate(case.model_dump(exclude={"vulnerabilities", "urgency"}))
    return case if sees_personal_data(user) else redacted(case, today)


def summary_for(user: User, case: Case | ErasedCase) -> CaseSummary:
    if isinstance(case, ErasedCase):
        return CaseSummary(
            id=case.id,
            status=case.status,
            programme_id=case.programme_id,
            municipality=case.municipality,
            household_size=len(case.household),
            principal_name=None,
            arrival_date=None,
            registered_at=case.registered_at,
            erased=True,
        )
    principal = next((m for m in case.members if m.relationship is Relationship.PRINCIPAL), case.members[0])
    return CaseSummary(
        id=case.id,
        status=case.status,
        programme_id=case.programme_id,
        municipality=case.municipality,
        household_size=len(case.members),
        principal_name=principal.name if sees_personal_data(user) else None,
        arrival_date=case.arrival_date,
        registered_at=case.registered_at,
    )
