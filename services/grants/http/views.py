"""What the finance API answers with: grants, installments and programme balances."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from services.grants.store.grants import Row
from shared.money import Money


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
    status: str
    fell_due_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    disbursed_by: str | None
    disbursed_at: datetime | None
    method: str | None
    supplier: str | None
    invoice_number: str | None
    payment_reference: str | None
    disbursement_transaction: UUID | None
    failure_reason: str | None
    failed_at: datetime | None
    attempts: int

    @classmethod
    def of(cls, row: Row) -> InstallmentView:
        values = {k: row[k] for k in cls.model_fields if k != "amount"}
        return cls(**values, amount=Money(amount=int(row["amount"]), currency=row["currency"]))


class GrantView(BaseModel):
    id: UUID
    case_id: UUID
    plan_id: UUID
    programme_id: str
    status: str
    total: Money
    ceiling: Money
    arrival_date: date
    approved_on: date
    vulnerable: bool
    adjustments: list[dict[str, Any]]
    business_plan_verified_by: str | None
    business_plan_verified_at: datetime | None
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    installments: list[InstallmentView] | None = None

    @classmethod
    def of(cls, row: Row, installments: list[InstallmentView] | None = None) -> GrantView:
        values = {k: row[k] for k in cls.model_fields if k not in {"total", "ceiling", "installments"}}
        currency = row["currency"]
        return cls(
            **values,
            total=Money(amount=int(row["total"]), currency=currency),
            ceiling=Money(amount=int(row["ceiling"]), currency=currency),
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


def programme_balances(rows: list[dict[str, Any]]) -> dict[str, list[ProgrammeBalance]]:
    """Balances by kind (from ledger_store.balances_by_kind) folded into one line per programme
    and currency; amounts in minor units of that currency."""
    folded: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"funds_received": 0, "available": 0, "committed": 0, "disbursed": 0}
    )
    for row in rows:
        folded[(row["programme_id"], row["currency"])][row["kind"]] += row["balance"]
    result: dict[str, list[ProgrammeBalance]] = defaultdict(list)
    for (programme_id, currency), kinds in sorted(folded.items()):
        result[programme_id].append(
            ProgrammeBalance(
                programme_id=programme_id,
                currency=currency,
                budget=kinds["funds_received"],
                available=kinds["available"],
                committed=kinds["committed"],
                disbursed=kinds["disbursed"],
            )
        )
    return result
