"""The rules of an installment's life, as plain functions: who may do what, in which state.

scheduled ─milestone─► due ─approve─► approved ─disburse (another officer)─► disbursed
                             ▲                                                 │ fail (another
                             └───────────────── approve again ◄── failed ◄─────┘  officer again)
scheduled | due | approved | failed ─case closed─► cancelled
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.events.codes import DisbursementMethod, Milestone

from .errors import Conflict, FourEyesViolation, InvalidRequest
from .policies import PaidTo


class InstallmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    DUE = "due"
    APPROVED = "approved"
    DISBURSED = "disbursed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class GrantStatus(StrEnum):
    AWAITING_FUNDING = "awaiting_funding"
    OPEN = "open"
    CLOSED = "closed"


OPEN_INSTALLMENT_STATES = frozenset(
    {InstallmentStatus.SCHEDULED, InstallmentStatus.DUE, InstallmentStatus.APPROVED, InstallmentStatus.FAILED}
)


class InstallmentFacts(BaseModel):
    """What the rules look at."""

    model_config = ConfigDict(frozen=True)

    status: InstallmentStatus
    grant_status: GrantStatus
    milestone: str
    paid_to: PaidTo
    approved_by_id: UUID | None = None
    approved_by: str | None = None
    disbursed_by_id: UUID | None = None


class Payment(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: DisbursementMethod
    payment_reference: str
    supplier: str | None = None
    invoice_number: str | None = None


def _state_refusal(facts: InstallmentFacts) -> str:
    if facts.status is InstallmentStatus.SCHEDULED:
        if facts.grant_status is GrantStatus.AWAITING_FUNDING:
            return "the grant is awaiting funding; its installments cannot be paid yet"
        return f"the installment is not due yet: it waits for its milestone ({facts.milestone})"
    if facts.status is InstallmentStatus.CANCELLED:
        return "the installment was cancelled when the case closed"
    if facts.status is InstallmentStatus.DISBURSED:
        return "the installment is already disbursed"
    if facts.status is InstallmentStatus.APPROVED:
        return f"the installment is already approved (by {facts.approved_by})"
    return f"the installment is {facts.status.value}"


def check_approval(facts: InstallmentFacts) -> None:
    if facts.status is InstallmentStatus.FAILED and facts.grant_status is GrantStatus.CLOSED:
        raise Conflict(
            "the payment failed after the case closed: the grant is closed and the returned amount went "
            "back to the programme's budget, so it cannot be paid again"
        )
    if facts.status not in (InstallmentStatus.DUE, InstallmentStatus.FAILED):
        raise Conflict(f"cannot approve: {_state_refusal(facts)}")


def check_disbursement(facts: InstallmentFacts, officer_id: UUID, payment: Payment) -> None:
    if facts.status is not InstallmentStatus.APPROVED:
        if facts.status in (InstallmentStatus.DUE, InstallmentStatus.FAILED):
            raise Conflict(
                f"cannot disburse: the installment is {facts.status.value} and needs an approval first"
            )
        raise Conflict(f"cannot disburse: {_state_refusal(facts)}")
    if facts.approved_by_id == officer_id:
        raise FourEyesViolation(
            "four-eyes rule: you approved this installment, so another finance officer must disburse it"
        )
    check_payment_method(facts.paid_to, payment)


def check_payment_method(paid_to: PaidTo, payment: Payment) -> None:
    if not payment.payment_reference.strip():
        raise InvalidRequest("payment_reference: a disbursement records its payment reference")
    if paid_to is PaidTo.SUPPLIER:
        if payment.method is not DisbursementMethod.SUPPLIER_INVOICE:
            raise InvalidRequest(
                "method: this installment is paid to a supplier, against an invoice (supplier_invoice)"
            )
        if not (payment.supplier and payment.invoice_number):
            raise InvalidRequest("supplier, invoice_number: a supplier_invoice payment names both")
    elif payment.method is DisbursementMethod.SUPPLIER_INVOICE:
        raise InvalidRequest("method: this installment is paid to the returnee (cash or bank_transfer)")


def check_failure(facts: InstallmentFacts, officer_id: UUID) -> None:
    """A failed or returned payment is recorded by an officer other than the one who disbursed it:
    whoever paid cannot also say, alone, that the money came back."""
    if facts.status is not InstallmentStatus.DISBURSED:
        raise Conflict(f"only a disbursed installment can fail; this one is {facts.status.value}")
    if facts.disbursed_by_id == officer_id:
        raise FourEyesViolation(
            "four-eyes rule: you disbursed this installment, so another finance officer must record"
            " its failure"
        )


def milestone_reached(milestone: str, due_on: date | None, today: date, business_plan_verified: bool) -> bool:
    """Whether an installment with this milestone is due by `today`."""
    if milestone == Milestone.ON_APPROVAL:
        return True
    if milestone == Milestone.DAYS_AFTER_ARRIVAL:
        return due_on is not None and due_on <= today
    return business_plan_verified
