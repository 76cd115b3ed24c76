"""An amended plan's grant (issue 15, point 2): what is cancelled and released, what is added and
committed, over random programmes, plans, amendments and installment states (hypothesis). The
postings balance by construction (a Posting cannot be built unbalanced); these properties say the
amounts are the right ones."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from services.grants.core.amendment import adjust, adjustment_postings
from services.grants.core.grant import Grant, Installment
from services.grants.core.ledger.postings import AccountKind, TransactionKind, account_balances
from services.grants.core.policies import PaidTo, Programme
from services.grants.core.rules import GrantStatus, InstallmentStatus
from services.grants.core.schedule import (
    GrantSchedule,
    PlannedInstallment,
    PlanNotFundable,
    installment_schedule,
)
from shared.events.codes import AssistanceType, Milestone
from shared.events.intake import PlannedAssistance, ReintegrationPlanApproved
from shared.money import Money

from .strategies import programme_and_plan

APPROVED = date(2025, 6, 1)
STATES = [s for s in InstallmentStatus if s is not InstallmentStatus.CANCELLED]


def grant_of(schedule: GrantSchedule) -> Grant:
    return Grant(
        id=schedule.grant_id,
        case_id=uuid4(),
        plan_id=uuid4(),
        programme_id=schedule.programme_id,
        status=GrantStatus.OPEN,
        total=schedule.total,
        ceiling=schedule.ceiling,
        arrival_date=APPROVED,
        approved_on=APPROVED,
        vulnerable=schedule.vulnerable,
        adjustments=(),
        correlation_id=uuid4(),
        business_plan_verified_by=None,
        business_plan_verified_at=None,
        created_at=datetime(2025, 6, 1, tzinfo=UTC),
        opened_at=datetime(2025, 6, 1, tzinfo=UTC),
        closed_at=None,
        close_reason=None,
    )


def installment(grant: Grant, planned: PlannedInstallment, status: InstallmentStatus) -> Installment:
    return Installment(
        id=planned.installment_id,
        grant_id=grant.id,
        case_id=grant.case_id,
        programme_id=grant.programme_id,
        grant_status=grant.status,
        correlation_id=grant.correlation_id,
        sequence=planned.sequence,
        assistance_type=planned.assistance_type,
        paid_to=planned.paid_to,
        amount=planned.amount,
        milestone=planned.milestone,
        days_after_arrival=planned.days_after_arrival,
        due_on=planned.due_on,
        status=status,
        fell_due_at=None,
        approved_by=None,
        approved_by_id=None,
        approved_at=None,
        disbursed_by=None,
        disbursed_by_id=None,
        disbursed_at=None,
        method=None,
        supplier=None,
        invoice_number=None,
        payment_reference=None,
        disbursement_transaction=None,
        failure_reason=None,
        failed_at=None,
        attempts=0,
    )


def amended(plan: ReintegrationPlanApproved, amounts: dict[AssistanceType, int]) -> ReintegrationPlanApproved:
    currency = plan.assistance[0].requested.currency
    lines = [
        PlannedAssistance(assistance_type=t, requested=Money(amount=a, currency=currency))
        for t, a in amounts.items()
        if a > 0
    ]
    return plan.model_copy(update={"assistance": lines})


def by_type(amounts: list[tuple[AssistanceType, int]]) -> dict[AssistanceType, int]:
    totals: dict[AssistanceType, int] = defaultdict(int)
    for assistance_type, amount in amounts:
        totals[assistance_type] += amount
    return dict(totals)


@settings(max_examples=300, deadline=None)
@given(
    drawn=programme_and_plan(),
    states=st.lists(st.sampled_from(STATES), min_size=12, max_size=12),
    amounts=st.dictionaries(st.sampled_from(list(AssistanceType)), st.integers(0, 900_000), max_size=4),
)
def test_an_amendment_moves_exactly_the_changed_types_and_never_what_stands(
    drawn: tuple[Programme, ReintegrationPlanApproved],
    states: list[InstallmentStatus],
    amounts: dict[AssistanceType, int],
) -> None:
    programme, plan = drawn
    try:
        schedule = installment_schedule(uuid4(), plan, programme, APPROVED)
    except PlanNotFundable:
        return
    grant = grant_of(schedule)
    installments = [
        installment(grant, p, states[i % len(states)]) for i, p in enumerate(schedule.installments)
    ]
    try:
        planned = installment_schedule(grant.id, amended(plan, amounts), programme, APPROVED).installments
    except PlanNotFundable:
        planned = []

    adjustment = adjust(grant, installments, planned)

    currency = grant.total.currency
    assert adjustment.released == sum((i.amount for i in adjustment.cancelled), Money.zero(currency))
    assert adjustment.committed == sum((p.amount for p in adjustment.added), Money.zero(currency))
    assert adjustment.total == grant.total - adjustment.released + adjustment.committed
    # only waiting installments are cancelled; the new ones are numbered after every existing one
    assert all(i.status is InstallmentStatus.SCHEDULED for i in adjustment.cancelled)
    last = max(i.sequence for i in installments)
    assert [p.sequence for p in adjustment.added] == list(range(last + 1, last + 1 + len(adjustment.added)))
    assert all(p.amount.amount > 0 for p in adjustment.added)
    # per type: unchanged, or the amended amount (or what already stands, if that is more)
    before = by_type([(i.assistance_type, i.amount.amount) for i in installments])
    target = by_type([(p.assistance_type, p.amount.amount) for p in planned])
    gone = {i.id for i in adjustment.cancelled}
    after = by_type(
        [(i.assistance_type, i.amount.amount) for i in installments if i.id not in gone]
        + [(p.assistance_type, p.amount.amount) for p in adjustment.added]
    )
    for assistance_type in set(before) | set(target):
        was, wanted = before.get(assistance_type, 0), target.get(assistance_type, 0)
        standing = sum(
            i.amount.amount
            for i in installments
            if i.assistance_type is assistance_type and i.status is not InstallmentStatus.SCHEDULED
        )
        expected = was if was == wanted else max(wanted, standing)
        assert after.get(assistance_type, 0) == expected, assistance_type
    # the ledger: balanced postings that move the grant's commitment by exactly the difference
    postings = adjustment_postings(grant, uuid4(), adjustment)
    lines = [line for posting in postings for line in posting.lines]
    committed = account_balances(lines).get((f"grant/{grant.id}/{AccountKind.COMMITTED.value}", currency), 0)
    assert committed == adjustment.committed.amount - adjustment.released.amount
    assert [p.kind for p in postings].count(TransactionKind.COMMITMENT) == (
        1 if adjustment.committed.amount else 0
    )
    assert len({p.idempotency_key for p in postings}) == len(postings)


def test_a_cash_increase_adds_only_what_is_not_already_paid() -> None:
    planned = PlannedInstallment(
        installment_id=uuid4(),
        sequence=1,
        assistance_type=AssistanceType.CASH,
        paid_to=PaidTo.RETURNEE,
        amount=Money(amount=60_000, currency="EUR"),
        milestone=Milestone.ON_APPROVAL,
    )
    later = planned.model_copy(
        update={"sequence": 2, "installment_id": uuid4(), "milestone": Milestone.DAYS_AFTER_ARRIVAL}
    )
    schedule = GrantSchedule(
        grant_id=uuid4(),
        programme_id="DE-STARTHILFEPLUS",
        ceiling=Money(amount=500_000, currency="EUR"),
        total=Money(amount=120_000, currency="EUR"),
        granted={AssistanceType.CASH: Money(amount=120_000, currency="EUR")},
        installments=[planned, later],
        adjustments=[],
        vulnerable=False,
    )
    grant = grant_of(schedule)
    paid = installment(grant, planned, InstallmentStatus.DISBURSED)
    waiting = installment(grant, later, InstallmentStatus.SCHEDULED)
    # amended to 200 000: 100 000 on approval, 100 000 later
    new = [
        planned.model_copy(update={"amount": Money(amount=100_000, currency="EUR")}),
        later.model_copy(update={"amount": Money(amount=100_000, currency="EUR")}),
    ]
    adjustment = adjust(grant, [paid, waiting], new)

    assert [i.id for i in adjustment.cancelled] == [waiting.id]
    assert [(p.sequence, p.milestone, p.amount.amount) for p in adjustment.added] == [
        (3, Milestone.ON_APPROVAL, 40_000),
        (4, Milestone.DAYS_AFTER_ARRIVAL, 100_000),
    ]
    assert (adjustment.released.amount, adjustment.committed.amount, adjustment.total.amount) == (
        60_000,
        140_000,
        200_000,
    )
