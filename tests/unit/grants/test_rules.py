"""rules.py: who may do what to an installment, in which state."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest

from services.grants.core.errors import Conflict, FourEyesViolation, InvalidRequest
from services.grants.core.policies import PaidTo
from services.grants.core.rules import (
    GrantStatus,
    InstallmentFacts,
    InstallmentStatus,
    Payment,
    check_approval,
    check_disbursement,
    check_failure,
)
from shared.events.codes import DisbursementMethod

APPROVER = uuid4()
TRANSFER = Payment(method=DisbursementMethod.BANK_TRANSFER, payment_reference="TX-1")


def facts(status: str, grant: str = "open", paid_to: str = "returnee") -> InstallmentFacts:
    return InstallmentFacts(
        status=InstallmentStatus(status),
        grant_status=GrantStatus(grant),
        milestone="days_after_arrival",
        paid_to=PaidTo(paid_to),
        approved_by_id=APPROVER if status == "approved" else None,
        approved_by="fin-a" if status == "approved" else None,
    )


@pytest.mark.parametrize("status", ["due", "failed"])
def test_a_due_or_failed_installment_can_be_approved(status) -> None:  # type: ignore[no-untyped-def]
    check_approval(facts(status))


@pytest.mark.parametrize(
    ("status", "grant", "says"),
    [
        ("scheduled", "open", "not due yet: it waits for its milestone (days_after_arrival)"),
        ("scheduled", "awaiting_funding", "awaiting funding"),
        ("approved", "open", "already approved (by fin-a)"),
        ("disbursed", "open", "already disbursed"),
        ("cancelled", "closed", "cancelled when the case closed"),
        ("failed", "closed", "cannot be paid again"),
    ],
)
def test_approval_says_why_not(status, grant, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match=re.escape(says)):
        check_approval(facts(status, grant))


def test_the_approver_may_not_disburse() -> None:
    with pytest.raises(FourEyesViolation, match="another finance officer must disburse"):
        check_disbursement(facts("approved"), APPROVER, TRANSFER)
    check_disbursement(facts("approved"), uuid4(), TRANSFER)


@pytest.mark.parametrize(
    ("status", "says"), [("due", "needs an approval first"), ("disbursed", "already disbursed")]
)
def test_only_an_approved_installment_is_disbursed(status, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match=says):
        check_disbursement(facts(status), uuid4(), TRANSFER)


def test_a_supplier_is_paid_against_an_invoice_and_a_returnee_is_not() -> None:
    invoice = Payment(
        method=DisbursementMethod.SUPPLIER_INVOICE,
        payment_reference="TX-2",
        supplier="Bau AG",
        invoice_number="R-7",
    )
    check_disbursement(facts("approved", paid_to="supplier"), uuid4(), invoice)
    with pytest.raises(InvalidRequest, match="paid to a supplier"):
        check_disbursement(facts("approved", paid_to="supplier"), uuid4(), TRANSFER)
    with pytest.raises(InvalidRequest, match="names both"):
        check_disbursement(
            facts("approved", paid_to="supplier"), uuid4(), invoice.model_copy(update={"supplier": None})
        )
    with pytest.raises(InvalidRequest, match="paid to the returnee"):
        check_disbursement(facts("approved"), uuid4(), invoice)


def test_only_a_disbursed_installment_can_fail() -> None:
    check_failure(facts("disbursed"), uuid4())
    with pytest.raises(Conflict, match="only a disbursed installment can fail; this one is approved"):
        check_failure(facts("approved"), uuid4())


def test_a_failure_is_recorded_by_another_officer_than_the_one_who_disbursed() -> None:
    disburser = uuid4()
    paid = facts("disbursed").model_copy(update={"disbursed_by_id": disburser})
    with pytest.raises(FourEyesViolation, match="another finance officer must record its failure"):
        check_failure(paid, disburser)
    check_failure(paid, uuid4())
