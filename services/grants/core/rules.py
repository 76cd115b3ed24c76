"""The rules of an installment's life, as plain functions: who may do what, in which state.

scheduled ─milestone─► due ─approve─► approved ─disburse (another officer)─► disbursed
                             ▲                                                 │ fail (another
                             └───────────────── approve again ◄── failed ◄─────┘  officer again)
scheduled | due | approved | failed ─case closed─► cancelled
scheduled ─returnee re-migrated (its milestone can no longer happen)─► cancelled
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.events.codes import DisbursementMethod, Milestone

from .errors import Conflict, FourEyesViolation, InvalidRequest
from .outcomes import CaseOutcomes, MilestoneTerms, outcome_reached
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


# A reference typed by an officer (a payment, an invoice, a donor transfer) goes into the hash-chained
# ledger, which is never erased: it is held to a reference's shape — letters, digits and . / : _ -,
# no spaces — so that it cannot carry a name or a sentence (DESIGN rule 7). A supplier's name is
# kept out of the chained memo altogether (it stays on the installment, erased with the case).
REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9./:_-]{0,63}$"
REFERENCE_DESCRIPTION = "1 to 64 letters, digits and . / : _ - (no spaces): a reference, never a name"


class PaymentFailure(StrEnum):
    """Why a disbursed payment failed or came back: a code, since it is written in the ledger."""

    RETURNED_BY_BANK = "returned_by_bank"
    ACCOUNT_CLOSED = "account_closed"
    WRONG_ACCOUNT_DETAILS = "wrong_account_details"
    NOT_COLLECTED = "not_collected"
    REJECTED_BY_SUPPLIER = "rejected_by_supplier"
    OTHER = "other"


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
        return "the installment was cancelled when the case closed or the returnee re-migrated"
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


def milestone_reached(
    terms: MilestoneTerms, today: date, business_plan_verified: bool, outcomes: CaseOutcomes
) -> bool:
    """Whether an installment with this milestone is due by `today`, given what the case achieved."""
    if terms.milestone is Milestone.ON_APPROVAL:
        return True
    if terms.milestone is Milestone.DAYS_AFTER_ARRIVAL:
        return terms.due_on is not None and terms.due_on <= today
    if terms.milestone is Milestone.BUSINESS_PLAN_VERIFIED:
        return business_plan_verified
    return outcome_reached(terms, outcomes)


def is_reference(text: str) -> bool:
    return re.fullmatch(REFERENCE, text) is not None


def disbursement_memo(payment: Payment) -> str:
    """The chained memo of a disbursement: the method and the references, never the supplier's
    name. InvalidRequest for a reference that is not one (the API refuses it before this)."""
    for name, value in (
        ("payment_reference", payment.payment_reference),
        ("invoice_number", payment.invoice_number),
    ):
        if value is not None and not is_reference(value):
            raise InvalidRequest(f"{name}: {REFERENCE_DESCRIPTION}")
    memo = f"{payment.method.value}; ref {payment.payment_reference}"
    if payment.method is DisbursementMethod.SUPPLIER_INVOICE and payment.invoice_number:
        memo += f"; invoice {payment.invoice_number}"
    return memo


def failure_memo(reason: PaymentFailure) -> str:
    return f"payment failed: {reason.value}"
