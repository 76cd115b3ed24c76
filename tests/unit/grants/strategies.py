"""Hypothesis strategies: random donor programmes and plans within the policy model's rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import strategies as st

from services.grants.core.policies import Programme
from shared.events.codes import AssistanceType, Category, Milestone, Vulnerability, category_of
from shared.events.intake import PlannedAssistance, ReintegrationPlanApproved
from shared.money import MINOR_UNITS, Money

from .builders import member

CURRENCIES = ["EUR", "CHF", "JPY", "KWD"]  # exponents 2, 2, 0 and 3


def amount_text(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-MINOR_UNITS[currency]))


MONITORING: dict[str, Any] = {"visits_after_months": [3, 6, 12]}


@st.composite
def installment_plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=3)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    parts = []
    for share in shares:
        milestone = draw(st.sampled_from(list(Milestone)))
        part: dict[str, Any] = {"share": share, "milestone": milestone.value}
        if milestone is Milestone.DAYS_AFTER_ARRIVAL:
            part["days"] = draw(st.integers(0, 400))
        if milestone is Milestone.MONITORING_VISIT:
            part["visit"] = draw(st.integers(1, len(MONITORING["visits_after_months"])))
            if draw(st.booleans()):
                part["min_composite"] = draw(st.sampled_from(["0.25", "0.5", "0.75"]))
        if milestone is Milestone.REFERRAL_COMPLETED:
            part["category"] = draw(st.sampled_from(list(Category))).value
        parts.append(part)
    return parts


@st.composite
def programmes(draw: st.DrawFn) -> Programme:
    currency = draw(st.sampled_from(CURRENCIES))
    money = st.integers(0, 600_000).map(lambda m: amount_text(m, currency))
    funded = draw(st.sets(st.sampled_from(list(AssistanceType)), min_size=1))
    funds: dict[str, Any] = {}
    for assistance_type in funded:
        rule: dict[str, Any] = {"paid_to": draw(st.sampled_from(["returnee", "supplier"]))}
        if draw(st.booleans()):
            rule["max"] = draw(money)
            rule["beyond_ceiling"] = draw(st.booleans())
        if draw(st.booleans()):
            rule["installments"] = draw(installment_plans())
        if category_of(assistance_type) is not None and draw(st.booleans()):
            rule["requires_need"] = True
        funds[assistance_type.value] = rule
    data: dict[str, Any] = {
        "id": "TEST-PROGRAMME",
        "name": "test",
        "donor": "test donor",
        "currency": currency,
        "ceilings": {
            "per_adult": draw(money),
            "per_child": draw(money),
            "per_household": draw(money),
            "child_age_limit": draw(st.integers(1, 18)),
            "household_supplement": draw(money),
            "household_supplement_above": draw(st.integers(1, 6)),
            **({"household_max": draw(money)} if draw(st.booleans()) else {}),
        },
        "funds": funds,
        "installments": draw(installment_plans()),
        "monitoring": MONITORING,
    }
    if AssistanceType.CASH in funded and draw(st.booleans()):
        data["cash_cap"] = draw(money)
    if AssistanceType.CASH in funded and draw(st.booleans()):
        data["cash_per_person"] = {"per_adult": draw(money), "per_child": draw(money)}
    if draw(st.booleans()):
        data["vulnerable"] = {
            "applies_to": [v.value for v in draw(st.sets(st.sampled_from(list(Vulnerability)), min_size=1))],
            "supplement": draw(money),
            "advance_waiting_parts": draw(st.booleans()),
        }
    return Programme.model_validate(data)


@st.composite
def plans_for(draw: st.DrawFn, programme: Programme) -> ReintegrationPlanApproved:
    ages = draw(st.lists(st.integers(0, 90), max_size=7))
    requests = draw(
        st.lists(
            st.tuples(st.sampled_from(list(AssistanceType)), st.integers(0, 2_000_000)),
            min_size=1,
            max_size=6,
        )
    )
    return ReintegrationPlanApproved(
        case_id=uuid4(),
        plan_id=uuid4(),
        programme_id=programme.id,
        arrival_date=draw(st.dates(date(2024, 1, 1), date(2026, 12, 31))),
        household=[member(a) for a in ages],
        adults=draw(st.integers(0, 4)) if not ages else sum(1 for a in ages if a >= 18),
        children=draw(st.integers(0, 4)) if not ages else sum(1 for a in ages if a < 18),
        vulnerabilities=list(draw(st.sets(st.sampled_from(list(Vulnerability)), max_size=2))),
        needs=draw(st.none() | st.lists(st.sampled_from(list(Category)), unique=True)),
        assistance=[
            PlannedAssistance(assistance_type=t, requested=Money(amount=a, currency=programme.currency))
            for t, a in requests
        ],
        approved_by="cw-1",
    )


@st.composite
def programme_and_plan(draw: st.DrawFn) -> tuple[Programme, ReintegrationPlanApproved]:
    programme = draw(programmes())
    return programme, draw(plans_for(programme))
