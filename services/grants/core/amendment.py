"""An approved plan amended (issue 15, point 2): how its grant changes. Pure.

Per assistance type whose amount the amendment changes (a type it leaves alone keeps its
installments as they are): the type's installments still waiting for their milestone
(`scheduled`) are cancelled and their amounts released; what is already due, approved, paid or
failed (to be paid again) stands — money promised to the family is not taken back — and the
type's new amount, less what stands, is scheduled anew on the amended plan's milestones (the
earliest milestones are the ones already covered). What was released and what is added each go
through the ledger in balanced transactions of their own (`adjustment_postings`): a release per
cancelled installment, one commitment for the additions; never an edit of a posted entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from shared.events.codes import AssistanceType, CancellationReason
from shared.money import Money

from .grant import Grant, Installment
from .ledger.postings import Posting, commitment, release
from .rules import InstallmentStatus
from .schedule import PlannedInstallment, installment_id

AMENDMENT_MEMO = "plan amended"


@dataclass(frozen=True)
class GrantAdjustment:
    cancelled: tuple[Installment, ...]  # waiting installments to cancel, their amounts released
    added: tuple[PlannedInstallment, ...]  # new installments, their sum committed
    released: Money
    committed: Money
    # a reduction below what is already due or paid: that much stands beyond the amended amount
    not_reduced: Money
    total: Money  # the grant's total after the amendment

    @property
    def changed(self) -> bool:
        return bool(self.cancelled or self.added)


def _sum(amounts: Sequence[Money], currency: str) -> Money:
    return sum(amounts, Money.zero(currency))


def adjust(
    grant: Grant, installments: Sequence[Installment], planned: Sequence[PlannedInstallment]
) -> GrantAdjustment:
    """How `grant` (with its `installments`) becomes the grant of the amended plan, whose schedule
    is `planned` (computed like an approval's, `schedule.installment_schedule`; empty when
    nothing in the amended plan is fundable)."""
    currency = grant.total.currency
    live = [i for i in installments if i.status is not InstallmentStatus.CANCELLED]
    present = {i.assistance_type for i in live} | {p.assistance_type for p in planned}
    cancelled: list[Installment] = []
    wanted: list[tuple[PlannedInstallment, int]] = []
    not_reduced = 0
    for assistance_type in (t for t in AssistanceType if t in present):
        now = [i for i in live if i.assistance_type is assistance_type]
        new = [p for p in planned if p.assistance_type is assistance_type]
        target = sum(p.amount.amount for p in new)
        if target == sum(i.amount.amount for i in now):
            continue
        standing = sum(i.amount.amount for i in now if i.status is not InstallmentStatus.SCHEDULED)
        cancelled += [i for i in now if i.status is InstallmentStatus.SCHEDULED]
        not_reduced += max(0, standing - target)
        covered = standing
        for part in new:
            taken = min(covered, part.amount.amount)
            covered -= taken
            if part.amount.amount > taken:
                wanted.append((part, part.amount.amount - taken))
    first = max((i.sequence for i in installments), default=0) + 1
    added = tuple(
        part.model_copy(
            update={
                "sequence": sequence,
                "installment_id": installment_id(grant.id, sequence),
                "amount": Money(amount=amount, currency=currency),
            }
        )
        for sequence, (part, amount) in enumerate(sorted(wanted, key=lambda w: w[0].sequence), start=first)
    )
    released = _sum([i.amount for i in cancelled], currency)
    committed = _sum([p.amount for p in added], currency)
    return GrantAdjustment(
        cancelled=tuple(cancelled),
        added=added,
        released=released,
        committed=committed,
        not_reduced=Money(amount=not_reduced, currency=currency),
        total=grant.total - released + committed,
    )


def adjustment_postings(grant: Grant, amendment_id: UUID, adjustment: GrantAdjustment) -> list[Posting]:
    """The ledger transactions of an adjustment: releases first (they make room), then the
    commitment. Keyed by installment and amendment: a redelivered amendment posts nothing twice."""
    reason = CancellationReason.PLAN_AMENDED.value
    postings = [
        release(
            grant.programme_id,
            grant.id,
            installment.amount,
            idempotency_key=f"release:{installment.id}:cancelled",
            memo=f"installment {installment.sequence} cancelled: {reason}",
        )
        for installment in adjustment.cancelled
    ]
    if adjustment.committed.amount > 0:
        postings.append(
            commitment(
                grant.programme_id,
                grant.id,
                adjustment.committed,
                idempotency_key=f"commitment:{grant.id}:amendment:{amendment_id}",
                memo=AMENDMENT_MEMO,
            )
        )
    return postings
