"""What grants writes into the hash-chained ledger's memos: codes and references, never free text a
person could be named in (the ledger is never erased)."""

from __future__ import annotations

import pytest

from services.grants.core.errors import InvalidRequest
from services.grants.core.rules import (
    Payment,
    PaymentFailure,
    disbursement_memo,
    failure_memo,
    is_reference,
)
from shared.events.codes import DisbursementMethod


def test_a_supplier_payment_memo_names_the_invoice_and_never_the_supplier() -> None:
    payment = Payment(
        method=DisbursementMethod.SUPPLIER_INVOICE,
        payment_reference="MK-7f3a-00012",
        supplier="Ana Petrovska, landlady",
        invoice_number="INV/2025/118",
    )
    memo = disbursement_memo(payment)
    assert memo == "supplier_invoice; ref MK-7f3a-00012; invoice INV/2025/118"
    assert "Petrovska" not in memo


@pytest.mark.parametrize(
    "text",
    ["Ana Petrovska", "paid to Bekim", "rent for the flat", "", " SEPA-1", "x" * 65, "SEPA\n1"],
)
def test_free_text_is_not_a_reference_and_never_reaches_the_memo(text: str) -> None:
    assert not is_reference(text)
    with pytest.raises(InvalidRequest, match="payment_reference"):
        disbursement_memo(Payment(method=DisbursementMethod.CASH, payment_reference=text))
    with pytest.raises(InvalidRequest, match="invoice_number"):
        disbursement_memo(
            Payment(
                method=DisbursementMethod.SUPPLIER_INVOICE,
                payment_reference="SEPA-1",
                supplier="a supplier",
                invoice_number=text,
            )
        )


@pytest.mark.parametrize("text", ["SEPA-1", "MK-7f3a-00012", "INV/2025/118", "BMI-2025-0042", "R.1:2_3"])
def test_references_as_banks_and_suppliers_write_them_are_accepted(text: str) -> None:
    assert is_reference(text)


def test_a_failed_payment_memo_is_a_code() -> None:
    assert {failure_memo(reason) for reason in PaymentFailure} == {
        f"payment failed: {reason.value}" for reason in PaymentFailure
    }
