"""An approved reintegration plan and a donor policy → a grant: its total and its installments.

Pure: no clock, no database. What a caller may rely on:
- every amount is in the programme's currency, integer minor units;
- each assistance type gets at most what was requested, at most its `max`, cash at most the cash
  cap and the household's cash per person; types the programme does not fund get nothing, nor do
  types it funds only for a need the case was not assessed as having;
- the types under the per-person ceiling together get at most that ceiling (a shortfall is shared
  in proportion to what each was granted, to the minor unit); `total <= ceiling` always;
- each type's amount is split by its installment plan with the rounding remainder on its last
  part, so the installments add up to the total exactly; no installment is zero.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.events.codes import AssistanceType, Category, Milestone, category_of
from shared.events.intake import ReintegrationPlanApproved
from shared.money import Money

from .policies import InstallmentPart, PaidTo, Programme

_MILESTONE_ORDER = {
    Milestone.ON_APPROVAL: 0,
    Milestone.DAYS_AFTER_ARRIVAL: 1,
    Milestone.BUSINESS_PLAN_VERIFIED: 2,
    Milestone.REFERRAL_COMPLETED: 3,
    Milestone.BUSINESS_OPERATING: 4,
    Milestone.MONITORING_VISIT: 5,
}
# installment ids derive from the grant id, so a schedule computed twice is the same schedule
_INSTALLMENT_NAMESPACE = UUID("6f1c7d0e-4b7a-5c2e-9a51-3d3f0b8e2a10")


class PlanNotFundable(ValueError):
    """The plan cannot become a grant under its programme (wrong currency, nothing fundable)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Adjustment(_Frozen):
    """Why a type received less than requested."""

    assistance_type: AssistanceType
    requested: Money
    granted: Money
    reason: str


class PlannedInstallment(_Frozen):
    installment_id: UUID
    sequence: int
    assistance_type: AssistanceType
    paid_to: PaidTo
    amount: Money
    milestone: Milestone
    days_after_arrival: int | None = None
    due_on: date | None = None  # None: falls due on a verification or an outcome, not a date
    # an outcome milestone's terms (see policies.InstallmentPart)
    visit: int | None = None
    min_composite: Decimal | None = None
    category: Category | None = None


class GrantSchedule(_Frozen):
    grant_id: UUID
    programme_id: str
    ceiling: Money
    total: Money
    granted: dict[AssistanceType, Money]
    installments: list[PlannedInstallment]
    adjustments: list[Adjustment]
    vulnerable: bool


def installment_id(grant_id: UUID, sequence: int) -> UUID:
    return uuid.uuid5(_INSTALLMENT_NAMESPACE, f"{grant_id}/{sequence}")


def is_vulnerable(plan: ReintegrationPlanApproved, programme: Programme) -> bool:
    rules = programme.vulnerable
    return rules is not None and bool(set(plan.vulnerabilities) & set(rules.applies_to))


def household_counts(plan: ReintegrationPlanApproved, programme: Programme) -> tuple[int, int]:
    """(adults, children) by the programme's child age limit. Members' ages decide when the plan
    lists the household; otherwise the plan's own counts are used."""
    if plan.household:
        children = sum(1 for m in plan.household if m.age < programme.ceilings.child_age_limit)
        return len(plan.household) - children, children
    return plan.adults, plan.children


def person_ceiling(plan: ReintegrationPlanApproved, programme: Programme) -> Money:
    """The per-person ceiling with the household supplement, at most the household maximum, and
    the vulnerability supplement on top."""
    c = programme.ceilings
    adults, children = household_counts(plan, programme)
    ceiling = programme.money(c.per_adult).times(adults) + programme.money(c.per_child).times(children)
    if adults + children > 0:
        ceiling += programme.money(c.per_household)
    if c.household_supplement_above is not None and adults + children > c.household_supplement_above:
        ceiling += programme.money(c.household_supplement)
    if c.household_max is not None and programme.money(c.household_max) < ceiling:
        ceiling = programme.money(c.household_max)
    if programme.vulnerable is not None and is_vulnerable(plan, programme):
        ceiling += programme.money(programme.vulnerable.supplement)
    return ceiling


def _requested_by_type(plan: ReintegrationPlanApproved, programme: Programme) -> dict[AssistanceType, Money]:
    requested: dict[AssistanceType, Money] = {}
    for item in plan.assistance:
        if item.requested.currency != programme.currency:
            raise PlanNotFundable(
                f"plan {plan.plan_id} asks for {item.assistance_type.value} in {item.requested.currency}; "
                f"programme {programme.id} pays in {programme.currency}"
            )
        if item.requested.amount < 0:
            raise PlanNotFundable(f"plan {plan.plan_id} asks for a negative {item.assistance_type.value}")
        previous = requested.get(item.assistance_type, Money.zero(programme.currency))
        requested[item.assistance_type] = previous + item.requested
    return requested


def cash_limit(plan: ReintegrationPlanApproved, programme: Programme) -> tuple[Money, str] | None:
    """The most cash this household may be paid, and why: the lower of the cash cap and the cash
    per person."""
    limits = []
    if programme.cash_cap is not None:
        limits.append((programme.money(programme.cash_cap), f"cash is capped at {programme.cash_cap}"))
    if programme.cash_per_person is not None:
        adults, children = household_counts(plan, programme)
        per = programme.cash_per_person
        cap = programme.money(per.per_adult).times(adults) + programme.money(per.per_child).times(children)
        limits.append(
            (cap, f"cash is {per.per_adult} per adult and {per.per_child} per child: {adults} and {children}")
        )
    return min(limits, key=lambda limit: limit[0].amount) if limits else None


def _type_cap(
    assistance_type: AssistanceType, requested: Money, programme: Programme, plan: ReintegrationPlanApproved
) -> tuple[Money, str]:
    rule = programme.funds.get(assistance_type)
    if rule is None:
        return Money.zero(programme.currency), f"{programme.id} does not fund {assistance_type.value}"
    category = category_of(assistance_type)
    if rule.requires_need and plan.needs is not None and category not in plan.needs:
        need = category.value if category else assistance_type.value
        return Money.zero(
            programme.currency
        ), f"{programme.id} funds {assistance_type.value} for a {need} need only"
    granted, reason = requested, ""
    if rule.max is not None and programme.money(rule.max) < granted:
        granted, reason = programme.money(rule.max), f"{assistance_type.value} is capped at {rule.max}"
    cash = cash_limit(plan, programme) if assistance_type is AssistanceType.CASH else None
    if cash is not None and cash[0] < granted:
        granted, reason = cash
    return granted, reason


def _beyond_limit(
    assistance_type: AssistanceType, plan: ReintegrationPlanApproved, programme: Programme
) -> Money:
    """What a type funded beyond the ceiling adds to it: its `max`, and for cash no more than the
    household's cash limit."""
    limit = programme.money(programme.funds[assistance_type].beyond_ceiling_max())
    cash = cash_limit(plan, programme) if assistance_type is AssistanceType.CASH else None
    return cash[0] if cash is not None and cash[0] < limit else limit


def share_of_ceiling(amounts: list[int], ceiling: int) -> list[int]:
    """Reduce `amounts` to add up to `ceiling` in proportion, exactly (largest remainders get the
    leftover minor units, earlier first on ties); no part grows, none goes below zero."""
    total = sum(amounts)
    if total <= ceiling:
        return list(amounts)
    floors = [a * ceiling // total for a in amounts]
    leftover = ceiling - sum(floors)
    by_remainder = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * ceiling % total), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return floors


def granted_amounts(
    plan: ReintegrationPlanApproved, programme: Programme
) -> tuple[Money, dict[AssistanceType, Money], list[Adjustment]]:
    """(ceiling, granted per type, adjustments) — the decision before any installment exists."""
    requested = _requested_by_type(plan, programme)
    capped = {t: _type_cap(t, r, programme, plan) for t, r in requested.items()}
    beyond = [t for t in capped if (rule := programme.funds.get(t)) is not None and rule.beyond_ceiling]
    within = [t for t in capped if t not in beyond]
    base = person_ceiling(plan, programme)
    shared = share_of_ceiling([capped[t][0].amount for t in within], base.amount)
    granted = {t: Money(amount=a, currency=programme.currency) for t, a in zip(within, shared, strict=True)}
    granted.update({t: capped[t][0] for t in beyond})
    ceiling = base
    for t in beyond:
        ceiling += _beyond_limit(t, plan, programme)
    adjustments = []
    for t, asked in requested.items():
        if granted[t] != asked:
            reason = capped[t][1] if capped[t][0] == granted[t] else "the grant ceiling is shared out"
            adjustments.append(
                Adjustment(assistance_type=t, requested=asked, granted=granted[t], reason=reason)
            )
    return ceiling, granted, adjustments


def effective_plan(parts: list[InstallmentPart], advance_waiting_parts: bool) -> list[InstallmentPart]:
    """The plan as it applies to this returnee: waiting parts advanced to approval when the
    vulnerability exception says so, parts with the same milestone merged."""
    if advance_waiting_parts:
        parts = [
            InstallmentPart(share=p.share, milestone=Milestone.ON_APPROVAL)
            if p.milestone is Milestone.DAYS_AFTER_ARRIVAL
            else p
            for p in parts
        ]
    # parts with the same milestone on the same terms are one part
    merged: dict[tuple[Milestone, int | None, int | None, Decimal | None, Category | None], int] = {}
    for part in parts:
        terms = (part.milestone, part.days, part.visit, part.min_composite, part.category)
        merged[terms] = merged.get(terms, 0) + part.share
    return [
        InstallmentPart(share=s, milestone=m, days=d, visit=v, min_composite=c, category=k)
        for (m, d, v, c, k), s in merged.items()
    ]


def due_date(part: InstallmentPart, approved_on: date, arrival_date: date) -> date | None:
    if part.milestone is Milestone.ON_APPROVAL:
        return approved_on
    if part.days is not None:  # a days_after_arrival part, the only kind that has days
        return arrival_date + timedelta(days=part.days)
    return None


def installment_schedule(
    grant_id: UUID, plan: ReintegrationPlanApproved, programme: Programme, approved_on: date
) -> GrantSchedule:
    """The grant for `plan`; raises PlanNotFundable when nothing in it can be paid."""
    ceiling, granted, adjustments = granted_amounts(plan, programme)
    vulnerable = is_vulnerable(plan, programme)
    advance = vulnerable and programme.vulnerable is not None and programme.vulnerable.advance_waiting_parts
    drafts: list[tuple[tuple[int, int, int], AssistanceType, InstallmentPart, Money]] = []
    for type_order, (assistance_type, amount) in enumerate(granted.items()):
        if amount.amount == 0:
            continue
        parts = effective_plan(programme.plan_for(assistance_type), advance)
        for part, share in zip(parts, amount.split([p.share for p in parts]), strict=True):
            if share.amount > 0:
                order = (_MILESTONE_ORDER[part.milestone], part.days or part.visit or 0, type_order)
                drafts.append((order, assistance_type, part, share))
    if not drafts:
        raise PlanNotFundable(f"nothing in plan {plan.plan_id} is fundable under programme {programme.id}")
    drafts.sort(key=lambda d: d[0])
    installments = [
        PlannedInstallment(
            installment_id=installment_id(grant_id, sequence),
            sequence=sequence,
            assistance_type=assistance_type,
            paid_to=programme.funds[assistance_type].paid_to,
            amount=share,
            milestone=part.milestone,
            days_after_arrival=part.days,
            due_on=due_date(part, approved_on, plan.arrival_date),
            visit=part.visit,
            min_composite=part.min_composite,
            category=part.category,
        )
        for sequence, (_, assistance_type, part, share) in enumerate(drafts, start=1)
    ]
    total = sum((i.amount for i in installments), Money.zero(programme.currency))
    return GrantSchedule(
        grant_id=grant_id,
        programme_id=programme.id,
        ceiling=ceiling,
        total=total,
        granted={t: m for t, m in granted.items() if m.amount > 0},
        installments=installments,
        adjustments=adjustments,
        vulnerable=vulnerable,
    )
