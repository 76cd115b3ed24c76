"""Double-entry postings for each business event of a grant. Pure: the database stores them.

Accounts (normal balance in brackets):
    programme/<P>/funds_received   [credit]  what the donor has paid in
    programme/<P>/available        [debit]   budget not yet committed to any grant
    grant/<G>/committed            [debit]   promised to grant G, not yet paid out
    grant/<G>/disbursed            [debit]   paid out for grant G

so that for every programme, at every moment:
    funds_received = available + Σ committed + Σ disbursed

A `Posting` cannot be built unbalanced: its lines' debits equal its credits in every currency.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.money import Money


class Direction(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"

    @property
    def opposite(self) -> Direction:
        return Direction.CREDIT if self is Direction.DEBIT else Direction.DEBIT


class AccountKind(StrEnum):
    FUNDS_RECEIVED = "funds_received"
    AVAILABLE = "available"
    COMMITTED = "committed"
    DISBURSED = "disbursed"

    @property
    def per_grant(self) -> bool:
        return self in (AccountKind.COMMITTED, AccountKind.DISBURSED)

    @property
    def normal(self) -> Direction:
        return Direction.CREDIT if self is AccountKind.FUNDS_RECEIVED else Direction.DEBIT


class TransactionKind(StrEnum):
    FUNDING = "funding"
    COMMITMENT = "commitment"
    RELEASE = "release"
    DISBURSEMENT = "disbursement"
    REVERSAL = "reversal"


def account_code_pattern(programme_id: str) -> str:
    """A regular expression every account `code` matches, given one for a programme id."""
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    of_programme = "|".join(k.value for k in AccountKind if not k.per_grant)
    of_grant = "|".join(k.value for k in AccountKind if k.per_grant)
    return f"^(programme/{programme_id}/({of_programme})|grant/{uuid}/({of_grant}))$"


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: AccountKind
    programme_id: str
    grant_id: UUID | None = None

    @model_validator(mode="after")
    def _grant_only_where_it_belongs(self) -> Self:
        if self.kind.per_grant != (self.grant_id is not None):
            raise ValueError(
                f"a {self.kind.value} account {'needs' if self.kind.per_grant else 'has no'} grant"
            )
        return self

    @property
    def code(self) -> str:
        if self.grant_id is not None:
            return f"grant/{self.grant_id}/{self.kind.value}"
        return f"programme/{self.programme_id}/{self.kind.value}"


class Line(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: Account
    direction: Direction
    amount: Money

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.amount.amount <= 0:
            raise ValueError("a ledger line moves a positive amount; the direction gives the sign")
        return self

    @property
    def signed(self) -> int:
        """Debit positive, credit negative."""
        return self.amount.amount if self.direction is Direction.DEBIT else -self.amount.amount


def imbalances(lines: Iterable[Line]) -> dict[str, int]:
    """Debits minus credits per currency, for the currencies where they differ."""
    net: dict[str, int] = defaultdict(int)
    for line in lines:
        net[line.amount.currency] += line.signed
    return {currency: value for currency, value in net.items() if value != 0}


class Posting(BaseModel):
    """One balanced transaction, not yet stored. `idempotency_key` makes storing it idempotent."""

    model_config = ConfigDict(frozen=True)

    kind: TransactionKind
    idempotency_key: str = Field(min_length=1, max_length=200)
    programme_id: str
    grant_id: UUID | None = None
    installment_id: UUID | None = None
    reverses: UUID | None = None
    memo: str = Field(default="", max_length=500)
    lines: list[Line] = Field(min_length=2)

    @model_validator(mode="after")
    def _balanced(self) -> Self:
        unbalanced = imbalances(self.lines)
        if unbalanced:
            raise ValueError(f"a {self.kind.value} posting does not balance: {unbalanced}")
        if (self.kind is TransactionKind.REVERSAL) != (self.reverses is not None):
            raise ValueError("a reversal, and only a reversal, names the transaction it reverses")
        return self

    def fingerprint(self) -> str:
        """SHA-256 of what the posting does (everything but its key): the same key arriving with
        a different fingerprint is a conflict, not a replay."""
        content = self.model_dump(mode="json", exclude={"idempotency_key"})
        return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _account(kind: AccountKind, programme_id: str, grant_id: UUID | None = None) -> Account:
    return Account(kind=kind, programme_id=programme_id, grant_id=grant_id)


def _move(debit: Account, credit: Account, amount: Money) -> list[Line]:
    return [
        Line(account=debit, direction=Direction.DEBIT, amount=amount),
        Line(account=credit, direction=Direction.CREDIT, amount=amount),
    ]


def funding_received(programme_id: str, amount: Money, *, idempotency_key: str, reference: str) -> Posting:
    """Donor money arrives: it becomes available budget."""
    return Posting(
        kind=TransactionKind.FUNDING,
        idempotency_key=idempotency_key,
        programme_id=programme_id,
        memo=reference,
        lines=_move(
            _account(AccountKind.AVAILABLE, programme_id),
            _account(AccountKind.FUNDS_RECEIVED, programme_id),
            amount,
        ),
    )


def commitment(
    programme_id: str, grant_id: UUID, amount: Money, *, idempotency_key: str | None = None, memo: str = ""
) -> Posting:
    """A grant opens: its total leaves the available budget and is committed to it. An amended plan
    commits what it adds the same way, under a key of its own (the amendment's)."""
    return Posting(
        kind=TransactionKind.COMMITMENT,
        idempotency_key=idempotency_key or f"commitment:{grant_id}",
        programme_id=programme_id,
        grant_id=grant_id,
        memo=memo,
        lines=_move(
            _account(AccountKind.COMMITTED, programme_id, grant_id),
            _account(AccountKind.AVAILABLE, programme_id),
            amount,
        ),
    )


def release(programme_id: str, grant_id: UUID, amount: Money, *, idempotency_key: str, memo: str) -> Posting:
    """What a closed grant will not spend goes back to the available budget."""
    return Posting(
        kind=TransactionKind.RELEASE,
        idempotency_key=idempotency_key,
        programme_id=programme_id,
        grant_id=grant_id,
        memo=memo,
        lines=_move(
            _account(AccountKind.AVAILABLE, programme_id),
            _account(AccountKind.COMMITTED, programme_id, grant_id),
            amount,
        ),
    )


def disbursement(
    programme_id: str, grant_id: UUID, installment_id: UUID, amount: Money, *, idempotency_key: str, memo: str
) -> Posting:
    """An installment is paid: the commitment becomes a disbursement."""
    return Posting(
        kind=TransactionKind.DISBURSEMENT,
        idempotency_key=idempotency_key,
        programme_id=programme_id,
        grant_id=grant_id,
        installment_id=installment_id,
        memo=memo,
        lines=_move(
            _account(AccountKind.DISBURSED, programme_id, grant_id),
            _account(AccountKind.COMMITTED, programme_id, grant_id),
            amount,
        ),
    )


def reversal(original: Posting, original_id: UUID, *, memo: str) -> Posting:
    """Undo `original` (stored as `original_id`) with the mirror of every line; never an update."""
    return Posting(
        kind=TransactionKind.REVERSAL,
        idempotency_key=f"reversal:{original_id}",
        programme_id=original.programme_id,
        grant_id=original.grant_id,
        installment_id=original.installment_id,
        reverses=original_id,
        memo=memo,
        lines=[
            Line(account=line.account, direction=line.direction.opposite, amount=line.amount)
            for line in original.lines
        ],
    )


def account_balances(lines: Iterable[Line]) -> dict[tuple[str, str], int]:
    """(account code, currency) → balance in the account's normal direction."""
    balances: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        sign = 1 if line.direction is line.account.kind.normal else -1
        balances[(line.account.code, line.amount.currency)] += sign * line.amount.amount
    return dict(balances)
