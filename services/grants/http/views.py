"""What the finance API answers with: grants, installments and programme balances."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from services.grants.core.grant import Grant, Installment
from services.grants.core.ledger.postings import AccountKind
from services.grants.store.ledger_reads import KindBalance
from shared.identity.model import User
from shared.money import Money
from shared.privacy import sees_personal_data, sees_vulnerabilities


class InstallmentView(BaseModel):
    id: UUID
    grant_id: UUID
    case_id: UUID
    programme_id: str
    sequence: int
    assistance_type: str
    paid_to: str
    amount: Money
    milestone: str
    days_after_arrival: int | None
    due_on: date | None
    # an outcome milestone's terms: the Nth monitoring visit and its minimum composite score, the
    # category of the referral whose completion it waits for
    visit: int | None = None
    min_composite: float | None = None
    category: str | None = None
    status: str
    fell_due_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    disbursed_by: str | None
    disbursed_at: datetime | None
    method: str | None
    supplier: str | None  # free text an officer typed: None for readers who may not see personal data
    invoice_number: str | None
    payment_reference: str | None
    disbursement_transaction: UUID | None
    failure_reason: str | None
    failed_at: datetime | None
    attempts: int

    @classmethod
    def of(cls, installment: Installment, reader: User) -> InstallmentView:
        i = installment
        return cls(
            id=i.id,
            grant_id=i.grant_id,
            case_id=i.case_id,
            programme_id=i.programme_id,
            sequence=i.sequence,
            assistance_type=i.assistance_type.value,
            paid_to=i.paid_to.value,
            amount=i.amount,
            milestone=i.milestone.value,
            days_after_arrival=i.days_after_arrival,
            due_on=i.due_on,
            visit=i.visit,
            min_composite=float(i.min_composite) if i.min_composite is not None else None,
            category=i.category.value if i.category is not None else None,
            status=i.status.value,
            fell_due_at=i.fell_due_at,
            approved_by=i.approved_by,
            approved_at=i.approved_at,
            disbursed_by=i.disbursed_by,
            disbursed_at=i.disbursed_at,
            method=i.method.value if i.method is not None else None,
            supplier=i.supplier if sees_personal_data(reader.role) else None,
            invoice_number=i.invoice_number,
            payment_reference=i.payment_reference,
            disbursement_transaction=i.disbursement_transaction,
            failure_reason=i.failure_reason,
            failed_at=i.failed_at,
            attempts=i.attempts,
        )


class GrantView(BaseModel):
    id: UUID
    case_id: UUID
    plan_id: UUID
    programme_id: str
    status: str
    total: Money
    # None for readers who may not see vulnerabilities (auditors): whether a vulnerability
    # supplement applied, and the ceiling that would show it
    ceiling: Money | None
    arrival_date: date
    approved_on: date
    vulnerable: bool | None
    adjustments: list[dict[str, Any]]
    business_plan_verified_by: str | None
    business_plan_verified_at: datetime | None
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    installments: list[InstallmentView] | None = None

    @classmethod
    def of(cls, grant: Grant, reader: User, installments: list[InstallmentView] | None = None) -> GrantView:
        g = grant
        told = sees_vulnerabilities(reader.role)
        return cls(
            id=g.id,
            case_id=g.case_id,
            plan_id=g.plan_id,
            programme_id=g.programme_id,
            status=g.status.value,
            total=g.total,
            ceiling=g.ceiling if told else None,
            arrival_date=g.arrival_date,
            approved_on=g.approved_on,
            vulnerable=g.vulnerable if told else None,
            adjustments=[a.model_dump(mode="json") for a in g.adjustments],
            business_plan_verified_by=g.business_plan_verified_by,
            business_plan_verified_at=g.business_plan_verified_at,
            created_at=g.created_at,
            opened_at=g.opened_at,
            closed_at=g.closed_at,
            close_reason=g.close_reason,
            installments=installments,
        )


class ProgrammeBalance(BaseModel):
    """`budget` is what the donor paid in; budget = available + committed + disbursed."""

    programme_id: str
    currency: str
    budget: int
    available: int
    committed: int
    disbursed: int


class AwaitingFunding(BaseModel):
    grants: int
    total: int


class ProgrammeView(BaseModel):
    id: str
    name: str
    donor: str
    currency: str
    balances: list[ProgrammeBalance]
    awaiting_funding: AwaitingFunding


def programme_balances(balances: list[KindBalance]) -> dict[str, list[ProgrammeBalance]]:
    """Balances by kind (ledger_reads.balances_by_kind) folded into one line per programme and
    currency; amounts in minor units of that currency."""
    folded: dict[tuple[str, str], dict[AccountKind, int]] = defaultdict(lambda: dict.fromkeys(AccountKind, 0))
    for balance in balances:
        folded[(balance.programme_id, balance.currency)][balance.kind] += balance.balance
    result: dict[str, list[ProgrammeBalance]] = defaultdict(list)
    for (programme_id, currency), kinds in sorted(folded.items()):
        result[programme_id].append(
            ProgrammeBalance(
                programme_id=programme_id,
                currency=currency,
                budget=kinds[AccountKind.FUNDS_RECEIVED],
                available=kinds[AccountKind.AVAILABLE],
                committed=kinds[AccountKind.COMMITTED],
                disbursed=kinds[AccountKind.DISBURSED],
            )
        )
    return result
