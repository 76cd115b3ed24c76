"""core/ledger/postings.py: postings for each business event balance, reversals undo, the books add up."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.grants.core.ledger.postings import (
    Account,
    AccountKind,
    Direction,
    Line,
    Posting,
    TransactionKind,
    account_balances,
    commitment,
    disbursement,
    funding_received,
    imbalances,
    release,
    reversal,
)
from shared.money import Money

PROGRAMME = "DE-STARTHILFEPLUS"
amounts = st.integers(1, 10**9)
currencies = st.sampled_from(["EUR", "CHF", "JPY"])


def business_event(kind: str, amount: Money, grant: UUID) -> Posting:
    if kind == "funding":
        return funding_received(PROGRAMME, amount, idempotency_key=f"f-{uuid4()}", reference="transfer 1")
    if kind == "commitment":
        return commitment(PROGRAMME, grant, amount)
    if kind == "release":
        return release(PROGRAMME, grant, amount, idempotency_key=f"r-{uuid4()}", memo="closed")
    return disbursement(PROGRAMME, grant, uuid4(), amount, idempotency_key=f"d-{uuid4()}", memo="ref 1")


events = st.lists(
    st.tuples(st.sampled_from(["funding", "commitment", "release", "disbursement"]), amounts, currencies),
    max_size=30,
)


@given(events, st.data())
def test_every_transaction_balances_per_currency(sequence, data) -> None:  # type: ignore[no-untyped-def]
    grants = [uuid4(), uuid4()]
    for kind, amount, currency in sequence:
        posting = business_event(
            kind, Money(amount=amount, currency=currency), data.draw(st.sampled_from(grants))
        )
        assert imbalances(posting.lines) == {}
        debits = sum(line.amount.amount for line in posting.lines if line.direction is Direction.DEBIT)
        credits = sum(line.amount.amount for line in posting.lines if line.direction is Direction.CREDIT)
        assert debits == credits == amount


@given(events, st.data())
def test_funds_received_always_equal_available_plus_committed_plus_disbursed(sequence, data) -> None:  # type: ignore[no-untyped-def]
    grants, lines = [uuid4(), uuid4(), uuid4()], []
    for kind, amount, currency in sequence:
        lines += business_event(
            kind, Money(amount=amount, currency=currency), data.draw(st.sampled_from(grants))
        ).lines
        by_kind: dict[tuple[str, AccountKind], int] = defaultdict(int)
        for line in lines:
            sign = 1 if line.direction is line.account.kind.normal else -1
            by_kind[(line.amount.currency, line.account.kind)] += sign * line.amount.amount
        for currency_ in {c for c, _ in by_kind}:
            received = by_kind[(currency_, AccountKind.FUNDS_RECEIVED)]
            spread = sum(
                by_kind[(currency_, k)]
                for k in (AccountKind.AVAILABLE, AccountKind.COMMITTED, AccountKind.DISBURSED)
            )
            assert received == spread


@given(st.sampled_from(["funding", "commitment", "release", "disbursement"]), amounts, currencies)
def test_a_reversal_nets_its_original_to_zero(kind, amount, currency) -> None:  # type: ignore[no-untyped-def]
    original = business_event(kind, Money(amount=amount, currency=currency), uuid4())
    original_id = uuid4()
    undo = reversal(original, original_id, memo="payment returned")
    assert undo.kind is TransactionKind.REVERSAL
    assert undo.reverses == original_id
    assert imbalances(undo.lines) == {}
    assert set(account_balances(original.lines + undo.lines).values()) == {0}
    assert account_balances(undo.lines) == {k: -v for k, v in account_balances(original.lines).items()}


def test_a_disbursement_moves_a_commitment_to_disbursed() -> None:
    grant = uuid4()
    paid = disbursement(
        PROGRAMME, grant, uuid4(), Money(amount=500, currency="EUR"), idempotency_key="k", memo="m"
    )
    assert account_balances(paid.lines) == {
        (f"grant/{grant}/disbursed", "EUR"): 500,
        (f"grant/{grant}/committed", "EUR"): -500,
    }


def test_an_unbalanced_posting_cannot_be_built() -> None:
    available = Account(kind=AccountKind.AVAILABLE, programme_id=PROGRAMME)
    received = Account(kind=AccountKind.FUNDS_RECEIVED, programme_id=PROGRAMME)
    with pytest.raises(ValidationError, match="does not balance"):
        Posting(
            kind=TransactionKind.FUNDING,
            idempotency_key="k",
            programme_id=PROGRAMME,
            lines=[
                Line(account=available, direction=Direction.DEBIT, amount=Money(amount=100, currency="EUR")),
                Line(account=received, direction=Direction.CREDIT, amount=Money(amount=99, currency="EUR")),
            ],
        )
    with pytest.raises(ValidationError, match="does not balance"):  # balanced in total, not per currency
        Posting(
            kind=TransactionKind.FUNDING,
            idempotency_key="k",
            programme_id=PROGRAMME,
            lines=[
                Line(account=available, direction=Direction.DEBIT, amount=Money(amount=100, currency="EUR")),
                Line(account=received, direction=Direction.CREDIT, amount=Money(amount=100, currency="CHF")),
            ],
        )


def test_lines_move_positive_amounts_and_accounts_know_their_grant() -> None:
    with pytest.raises(ValidationError, match="positive amount"):
        Line(
            account=Account(kind=AccountKind.AVAILABLE, programme_id=PROGRAMME),
            direction=Direction.DEBIT,
            amount=Money(amount=0, currency="EUR"),
        )
    with pytest.raises(ValidationError, match="needs grant"):
        Account(kind=AccountKind.COMMITTED, programme_id=PROGRAMME)
    with pytest.raises(ValidationError, match="has no grant"):
        Account(kind=AccountKind.AVAILABLE, programme_id=PROGRAMME, grant_id=uuid4())


def test_the_fingerprint_is_the_content_not_the_key() -> None:
    grant = uuid4()
    a = commitment(PROGRAMME, grant, Money(amount=100, currency="EUR"))
    assert a.fingerprint() == a.model_copy(update={"idempotency_key": "other"}).fingerprint()
    assert a.fingerprint() != commitment(PROGRAMME, grant, Money(amount=101, currency="EUR")).fingerprint()
