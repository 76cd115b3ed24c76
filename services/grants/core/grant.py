"""A grant and an installment as the service keeps them: what the use cases decide on and the
finance API shows. Built by the store from its rows; never changed in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shared.events.codes import AssistanceType, Category, DisbursementMethod, Milestone
from shared.money import Money

from .outcomes import MilestoneTerms
from .policies import PaidTo
from .rules import GrantStatus, InstallmentFacts, InstallmentStatus
from .schedule import Adjustment


@dataclass(frozen=True)
class Grant:
    id: UUID
    case_id: UUID
    plan_id: UUID
    programme_id: str
    status: GrantStatus
    total: Money
    ceiling: Money
    arrival_date: date
    approved_on: date
    vulnerable: bool
    adjustments: tuple[Adjustment, ...]
    # the conversation the plan approval started: every event of the grant continues it
    correlation_id: UUID
    business_plan_verified_by: str | None
    business_plan_verified_at: datetime | None
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None

    @property
    def business_plan_verified(self) -> bool:
        return self.business_plan_verified_at is not None


@dataclass(frozen=True)
class Installment:
    """One installment, with what every use of it needs from its grant: the case, the programme,
    the grant's status and correlation id."""

    id: UUID
    grant_id: UUID
    case_id: UUID
    programme_id: str
    grant_status: GrantStatus
    correlation_id: UUID
    sequence: int
    assistance_type: AssistanceType
    paid_to: PaidTo
    amount: Money
    milestone: Milestone
    days_after_arrival: int | None
    due_on: date | None
    status: InstallmentStatus
    fell_due_at: datetime | None
    approved_by: str | None
    approved_by_id: UUID | None
    approved_at: datetime | None
    disbursed_by: str | None
    disbursed_by_id: UUID | None
    disbursed_at: datetime | None
    method: DisbursementMethod | None
    supplier: str | None
    invoice_number: str | None
    payment_reference: str | None
    disbursement_transaction: UUID | None
    failure_reason: str | None
    failed_at: datetime | None
    attempts: int
    # an outcome milestone's terms (None for the others)
    visit: int | None = None
    min_composite: Decimal | None = None
    category: Category | None = None

    def terms(self) -> MilestoneTerms:
        return MilestoneTerms(
            milestone=self.milestone,
            due_on=self.due_on,
            visit=self.visit,
            min_composite=self.min_composite,
            category=self.category,
        )

    def facts(self) -> InstallmentFacts:
        """What the rules (rules.py) look at."""
        return InstallmentFacts(
            status=self.status,
            grant_status=self.grant_status,
            milestone=self.milestone,
            paid_to=self.paid_to,
            approved_by_id=self.approved_by_id,
            approved_by=self.approved_by,
            disbursed_by_id=self.disbursed_by_id,
        )
