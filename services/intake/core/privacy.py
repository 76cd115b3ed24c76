"""Erasure, pure: what stays of a case once its personal data is erased, and the event and history
line that say so. The use case stores it (use_cases/privacy.py).

Erased: names, dates of birth (an age band at arrival stays), identity documents, free text
(skills, work history, the plan's and the closure's notes), the arrival day (its month stays).
Kept: ids, codes, amounts — what reports and the grants ledger need to add up.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from services.intake.core.case import Case, ErasedCase, ErasedMember, ErasedPlan, Erasure
from services.intake.core.people import age_on
from shared.events.codes import ErasureReason
from shared.events.intake import PersonalDataErased

# who closed (and erased) a case when no user did: the retention job, an operator's command
NO_USER = UUID(int=0)

# (lowest age, label), youngest first: the bands reports count people in
AGE_BANDS = ((0, "0-4"), (5, "5-11"), (12, "12-17"), (18, "18-24"), (25, "25-59"), (60, "60+"))


def age_band(date_of_birth: date, on: date) -> str:
    """The band of the age on `on` (a date of birth after `on` counts as 0)."""
    age = age_on(date_of_birth, on) if date_of_birth <= on else 0
    label = AGE_BANDS[0][1]
    for lowest, band in AGE_BANDS:
        if age >= lowest:
            label = band
    return label


def erased(case: Case, reason: ErasureReason, by: UUID | None, now: datetime) -> ErasedCase:
    """`case` without its personal data (it must be closed: `decisions.close` first)."""
    plan = case.plan
    return ErasedCase(
        id=case.id,
        status=case.status,
        programme_id=case.programme_id,
        country_of_return=case.country_of_return,
        municipality=case.municipality,
        sending_country=case.sending_country,
        arrival_month=case.arrival_date.strftime("%Y-%m"),
        household=[
            ErasedMember(
                age_band=age_band(m.date_of_birth, case.arrival_date), sex=m.sex, relationship=m.relationship
            )
            for m in case.members
        ],
        vulnerabilities=case.vulnerabilities,
        needs=case.needs,
        urgency=case.urgency,
        consent={c: r.agrees for c, r in case.consent.items()},
        plan=ErasedPlan(
            id=plan.id,
            status=plan.status,
            assistance=plan.assistance,
            proposed_by=plan.proposed_by,
            approved_by=plan.approved_by,
        )
        if plan
        else None,
        closure_reason=case.closure.reason if case.closure else None,
        closed_at=case.ended_at(),
        registered_by=case.registered_by,
        registered_at=case.registered_at,
        erasure=Erasure(reason=reason, erased_by=by, erased_at=now),
        assigned_to=case.assigned_to,
        office=case.office,
    )


def erasure_event(case: ErasedCase) -> PersonalDataErased:
    by = case.erasure.erased_by
    return PersonalDataErased(case_id=case.id, reason=case.erasure.reason, erased_by=str(by) if by else None)


def erasure_summary(reason: ErasureReason) -> str:
    return f"Personal data erased: {reason.value}"
