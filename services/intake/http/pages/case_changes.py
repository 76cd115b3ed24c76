"""The case page's forms for cases that change as lives do (issue 15, point 2): the household, the
contact details, an amendment of the approved plan and its approval, and, for supervisors,
reopening a closed case. Each posts, then redirects back to
the case page (303); problems re-render it with each message beside its field (422)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.intake.core.case import Case
from services.intake.core.errors import CaseNotFound
from services.intake.core.permissions import APPROVERS, EDITORS
from services.intake.core.validation import Invalid
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms, household_forms
from services.intake.http.pages.case import case_page, submit_section
from services.intake.use_cases import case_changes as use_cases
from services.intake.use_cases import cases as case_reads
from shared.http.sessions import page_user
from shared.identity.model import User

router = APIRouter(include_in_schema=False)

Editor = Annotated[User, Depends(page_user(*EDITORS))]
Supervisor = Annotated[User, Depends(page_user(*APPROVERS))]


@router.post("/cases/{case_id}/household")
async def submit_household(case_id: UUID, request: Request, user: Editor) -> Response:
    parsed = household_forms.household_data(await request.form())
    intake = intake_of(request)

    async def change() -> Case:
        try:
            return await use_cases.edit_household(intake, case_id, parsed.data, user)
        except Invalid as invalid:
            raise Invalid(household_forms.on_form(invalid.problems, parsed.positions)) from None

    return await submit_section(request, user, case_id, "household", change, {"rows": parsed.rows})


@router.post("/cases/{case_id}/contact")
async def submit_contact(case_id: UUID, request: Request, user: Editor) -> Response:
    data = household_forms.contact_data(await request.form())
    intake = intake_of(request)
    return await submit_section(
        request, user, case_id, "contact", lambda: use_cases.change_contact(intake, case_id, data, user), data
    )


@router.post("/cases/{case_id}/reopen")
async def submit_reopening(case_id: UUID, request: Request, user: Supervisor) -> Response:
    data = household_forms.reopening_data(await request.form())
    intake = intake_of(request)
    return await submit_section(
        request,
        user,
        case_id,
        "reopen",
        lambda: use_cases.reopen_case(intake, case_id, data, user),
        data,
        field_names={"reason": "reopen-reason", "note": "reopen-note"},
    )


@router.post("/cases/{case_id}/plan/amendment")
async def submit_amendment(case_id: UUID, request: Request, user: Editor) -> Response:
    form = await request.form()
    intake = intake_of(request)
    try:
        case = await case_reads.get_case(intake, case_id, user)
    except CaseNotFound:
        return await case_page(request, user, case_id)
    plan = forms.plan_data(form, intake.catalogue.programme_currency(case.programme_id) or "EUR")
    plan.data.pop("note", None)
    if forms.text(form, "amendment-note"):
        plan.data["note"] = forms.text(form, "amendment-note")
    submitted = {k: forms.text(form, k) for k in form}

    async def propose() -> Case:
        if plan.problems:
            raise Invalid(plan.problems)
        return await use_cases.propose_amendment(intake, case_id, plan.data, user)

    return await submit_section(
        request,
        user,
        case_id,
        "amendment",
        propose,
        submitted,
        plan.lines,
        field_names={"note": "amendment-note"},
    )


@router.post("/cases/{case_id}/plan/amendment/approve")
async def submit_amendment_approval(case_id: UUID, request: Request, user: Supervisor) -> Response:
    form = await request.form()
    data = {"amendment_id": forms.text(form, "amendment_id")} if forms.text(form, "amendment_id") else {}
    intake = intake_of(request)
    return await submit_section(
        request,
        user,
        case_id,
        "approve-amendment",
        lambda: use_cases.approve_amendment(intake, case_id, data, user),
        data,
    )
