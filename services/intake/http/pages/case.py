"""The case page: the case, its timeline, and the assessment, plan, consent and closure forms.
A form with problems re-renders the page with each message beside its field (422); a form that
went through redirects back to the page (303), so a reload never sends it twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.case import Case, CaseStatus, ErasedCase, PlanStatus
from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.people import age_on
from services.intake.core.permissions import APPROVERS, EDITORS, READERS
from services.intake.core.requests import UrgencyReason
from services.intake.core.validation import Invalid
from services.intake.core.views import sees_personal_data
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms, household_forms
from services.intake.http.pages.household_forms import CHANGES_DONE
from services.intake.http.pages.render import PAGES, no_such_case, options, render, who
from services.intake.use_cases import cases as use_cases
from shared.events.codes import (
    AssistanceType,
    BusinessPlanStage,
    BusinessSector,
    Category,
    ClosureReason,
    Relationship,
    Urgency,
    Vulnerability,
)
from shared.http.i18n import N_
from shared.http.labels import Msg
from shared.http.sessions import page_user
from shared.identity.model import User
from shared.money import MINOR_UNITS
from shared.privacy import Action, sees_vulnerabilities

router = APIRouter(include_in_schema=False)

Reader = Annotated[User, Depends(page_user(*READERS))]
Editor = Annotated[User, Depends(page_user(*EDITORS))]
Approver = Annotated[User, Depends(page_user(*APPROVERS))]

DONE = {
    "registered": N_("Case registered. The returnee's registration has been sent to referral and grants."),
    "assessment": N_("Assessment saved."),
    "plan": N_("Plan saved. A supervisor can now approve it."),
    "approve": N_("Plan approved. Grants will size the grant from it."),
    "consent": N_("Consent saved."),
    "close": N_("Case closed."),
    **CHANGES_DONE,
}


def _household(case: Case, personal: bool, today: Any) -> list[dict[str, Any]]:
    """The household table's rows: codes (the template labels them in the page's language)."""
    rows = []
    for member in case.members:
        document = member.identity_document
        row: dict[str, Any] = {
            "age": age_on(member.date_of_birth, today),
            "sex": member.sex,
            "relationship": member.relationship,
            "principal": member.relationship is Relationship.PRINCIPAL,
            "has_document": document is not None,
        }
        if personal:
            row["name"] = member.name
            row["date_of_birth"] = member.date_of_birth
            row["document_type"] = document.type if document else None
            row["document_number"] = document.number if document else None
        rows.append(row)
    return rows


def _major_units(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-MINOR_UNITS.get(currency, 2)))


async def case_page(
    request: Request,
    user: User,
    case_id: UUID,
    *,
    status_code: int = 200,
    errors: dict[str, dict[str, list[str]]] | None = None,
    submitted: dict[str, Any] | None = None,
) -> Response:
    intake = intake_of(request)
    try:
        case = await use_cases.get_case(intake, case_id, user)
    except CaseNotFound:
        return no_such_case(request, case_id)
    timeline = await use_cases.case_timeline(intake, case_id, user)
    await use_cases.record_reads(intake, user, Action.PAGE, [case.id])
    if isinstance(case, ErasedCase):
        return _erased_page(request, user, case, timeline, status_code)
    personal = sees_personal_data(user)
    currency = intake.catalogue.programme_currency(case.programme_id) or "EUR"
    plan_amounts = (
        {
            a.assistance_type.value: _major_units(a.requested.amount, a.requested.currency)
            for a in case.plan.assistance
        }
        if case.plan
        else {}
    )
    context = {
        "case": case,
        "personal": personal,
        "household": _household(case, personal, intake.clock().date()),
        "timeline": list(reversed(timeline)),  # newest first on the page
        "programme": intake.catalogue.programmes.get(case.programme_id),
        "municipality": intake.catalogue.municipality_name(case.municipality),
        "may_edit": user.role in EDITORS and case.status is not CaseStatus.CLOSED,
        "may_approve": user.role in APPROVERS
        and case.plan is not None
        and case.plan.status is PlanStatus.PROPOSED
        and case.plan.proposed_by != user.id,
        # separation of duties: whoever proposed the plan sees why they cannot approve it
        "own_proposal": user.role in APPROVERS
        and case.plan is not None
        and case.plan.status is PlanStatus.PROPOSED
        and case.plan.proposed_by == user.id,
        "plan_locked": case.plan is not None and case.plan.status is PlanStatus.APPROVED,
        "currency": currency,
        "plan_amounts": plan_amounts,
        "consent_rows": [(c, case.consent.get(c)) for c in Category],
        "categories": options(Category),
        "vulnerability_options": options(Vulnerability),
        "urgencies": options(Urgency),
        "urgency_reasons": options(UrgencyReason),
        "business_sectors": options(BusinessSector),
        "business_plan_stages": options(BusinessPlanStage),
        "assistance_types": options(AssistanceType),
        "closure_reasons": options(ClosureReason),
        "errors": errors or {},
        "submitted": submitted or {},
        "notice": Msg(DONE[done]) if (done := request.query_params.get("done", "")) in DONE else None,
        "who": who(request, user),
        **household_forms.page_context(case, user),
    }
    return render(request, "case.html", context, status_code)


def _erased_page(
    request: Request, user: User, case: ErasedCase, timeline: list[Any], status_code: int
) -> Response:
    intake = intake_of(request)
    context = {
        "case": case,
        "vulnerabilities": case.vulnerabilities if sees_vulnerabilities(user.role) else None,
        "timeline": list(reversed(timeline)),
        "programme": intake.catalogue.programmes.get(case.programme_id),
        "municipality": intake.catalogue.municipality_name(case.municipality),
        "who": who(request, user),
    }
    return render(request, "erased.html", context, status_code)


@router.get("/cases/{case_id}")
async def show_case(case_id: UUID, request: Request, user: Reader) -> Response:
    return await case_page(request, user, case_id)


async def _submit(
    request: Request,
    user: User,
    case_id: UUID,
    section: str,
    change: Callable[[], Awaitable[Case]],
    submitted: dict[str, Any],
    plan_lines: Sequence[AssistanceType] = (),
    field_names: dict[str, str] | None = None,
) -> Response:
    try:
        await change()
    except Invalid as invalid:
        by_field = forms.errors_by_field(invalid.problems, plan_lines)
        errors = {section: {(field_names or {}).get(k, k): v for k, v in by_field.items()}}
        return await case_page(
            request, user, case_id, status_code=422, errors=errors, submitted={section: submitted}
        )
    except CaseConflict as conflict:
        errors = {section: {"form": [Msg(str(conflict))]}}  # the page translates it, if catalogued
        return await case_page(
            request, user, case_id, status_code=409, errors=errors, submitted={section: submitted}
        )
    except CaseNotFound:
        return await case_page(request, user, case_id)
    return RedirectResponse(f"/cases/{case_id}?done={section}#{section}", status_code=303)


# the case page's other parts (pages/case_changes.py) submit the same way
submit_section = _submit


@router.post("/cases/{case_id}/assessment")
async def submit_assessment(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    data = forms.assessment_data(form)
    intake = intake_of(request)
    return await _submit(
        request, user, case_id, "assessment", lambda: use_cases.assess_case(intake, case_id, data, user), data
    )


@router.post("/cases/{case_id}/plan")
async def submit_plan(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    intake = intake_of(request)
    try:
        case = await use_cases.get_case(intake, case_id, user)
    except CaseNotFound:
        return await case_page(request, user, case_id)
    currency = intake.catalogue.programme_currency(case.programme_id) or "EUR"
    plan = forms.plan_data(form, currency, PAGES.lang(request))
    submitted = {k: forms.text(form, k) for k in form}

    async def propose() -> Case:
        if plan.problems:
            raise Invalid(plan.problems)
        return await use_cases.propose_plan(intake, case_id, plan.data, user)

    return await _submit(request, user, case_id, "plan", propose, submitted, plan.lines)


@router.post("/cases/{case_id}/plan/approve")
async def submit_approval(case_id: UUID, request: Request, user: Approver) -> Response:
    form = await request.form()
    data = {"plan_id": forms.text(form, "plan_id")} if forms.text(form, "plan_id") else {}
    intake = intake_of(request)
    return await _submit(
        request, user, case_id, "approve", lambda: use_cases.approve_plan(intake, case_id, data, user), data
    )


@router.post("/cases/{case_id}/consent")
async def submit_consent(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    data = {"consent": forms.consent_data(form)}
    intake = intake_of(request)
    return await _submit(
        request, user, case_id, "consent", lambda: use_cases.change_consent(intake, case_id, data, user), data
    )


@router.post("/cases/{case_id}/close")
async def submit_closure(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    data = {
        k: forms.text(form, f)
        for k, f in (("reason", "reason"), ("note", "close-note"))
        if forms.text(form, f)
    }
    intake = intake_of(request)
    return await _submit(
        request,
        user,
        case_id,
        "close",
        lambda: use_cases.close_case(intake, case_id, data, user),
        data,
        field_names={"note": "close-note"},
    )
