"""The finance officers' page, `/finance`: their programmes and balances, donor funding received,
installments due (approve), approved (disburse, by another officer than the approver: the use case
refuses the approver, as the API does), failed (approve again), and the ledger's export and check.
Every form posts, then redirects (303); a refusal re-renders the page with its message beside the
form (422 for a field, 403 for the four-eyes rule, 409 for a state that changed)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.grants.core.errors import Conflict, FourEyesViolation, GrantsError, InvalidRequest, NotFound
from services.grants.core.grant import Installment
from services.grants.core.rules import Payment
from services.grants.http.deps import Context
from services.grants.store import installments as installment_store
from services.grants.use_cases import payments
from services.grants.use_cases.funding import record_funding
from shared import access_log
from shared.events.codes import DisbursementMethod
from shared.http.i18n import N_, gettext
from shared.http.pages import options
from shared.http.sessions import page_user
from shared.identity.model import Role, User
from shared.money import Money
from shared.privacy import Action, Actor

from . import forms
from .render import PAGES, programmes_of, render, whole_ledger

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(page_user(Role.FINANCE))]

SHOWN = 100  # installments per list: the oldest due first
DONE = {
    "approved": N_("Installment approved."),
    "disbursed": N_("Installment disbursed."),
    "funded": N_("Donor funding recorded."),
}
FOUR_EYES = N_("You approved this installment: another finance officer must disburse it.")
STATUS = {FourEyesViolation: 403, Conflict: 409, NotFound: 404, InvalidRequest: 422}


async def _lists(context: Context, officer: User) -> dict[str, list[Installment]]:
    """The officer's installments by what is to be done with them."""
    found: dict[str, list[Installment]] = {}
    for status in ("due", "approved", "failed"):
        found[status] = await installment_store.list_installments(
            context.pool,
            programmes=officer.programme_scope(),
            grant_id=None,
            programme_id=None,
            status=status,
            milestone=None,
            due_by=None,
            limit=SHOWN,
            offset=0,
        )
    return found


async def finance_page(
    request: Request,
    context: Context,
    officer: User,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    lists = await _lists(context, officer)
    shown = [i.case_id for found in lists.values() for i in found]
    await access_log.record(context.pool, Actor.of(officer), Action.LIST, shown)
    done = DONE.get(request.query_params.get("done", ""))
    page: dict[str, Any] = {
        "programmes": (programmes := await programmes_of(context, officer)),
        "programme_choices": [(p.id, p.name) for p in programmes],
        **lists,
        "methods": options(DisbursementMethod),
        "errors": errors or {},
        "submitted": submitted or {},
        "notice": gettext(PAGES.lang(request), done) if done else None,
        "whole_ledger": whole_ledger(context, officer),
        "new_key": lambda: uuid.uuid4().hex,  # one per form drawn: a second click is a replay
    }
    return render(request, "finance.html", page, status_code)


def _refusal(request: Request, error: GrantsError) -> tuple[str, int]:
    """The message a refused action shows, and the page's status."""
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 409)
    if isinstance(error, FourEyesViolation):
        return gettext(PAGES.lang(request), FOUR_EYES), status
    return str(error)[:1].upper() + str(error)[1:], status


async def _invalid(
    request: Request, context: Context, officer: User, errors: dict[str, list[str]], submitted: dict[str, str]
) -> Response:
    """The page again with each field's catalogue message in the page's language (422)."""
    lang = PAGES.lang(request)
    translated = {field: [gettext(lang, m) for m in messages] for field, messages in errors.items()}
    return await finance_page(
        request, context, officer, errors=translated, submitted=submitted, status_code=422
    )


@router.get("/finance")
async def show(request: Request, context: Context, officer: Officer) -> Response:
    return await finance_page(request, context, officer)


@router.post("/finance/installments/{installment_id}/approve")
async def approve(installment_id: UUID, request: Request, context: Context, officer: Officer) -> Response:
    try:
        installment = await payments.approve(context, installment_id, officer)
    except GrantsError as error:
        message, status = _refusal(request, error)
        return await finance_page(
            request, context, officer, errors={f"approve-{installment_id}": [message]}, status_code=status
        )
    await access_log.record(context.pool, Actor.of(officer), Action.PAY, [installment.case_id])
    return RedirectResponse("/finance?done=approved#approved", status_code=303)


@router.post("/finance/installments/{installment_id}/disburse")
async def disburse(installment_id: UUID, request: Request, context: Context, officer: Officer) -> Response:
    form = await request.form()
    prefix = f"disburse-{installment_id}"
    fields = {name: forms.text(form, f"{prefix}-{name}") for name in ("method", "reference", "invoice")}
    submitted = {f"{prefix}-{name}": value for name, value in fields.items()}
    errors: dict[str, list[str]] = {}
    if fields["method"] not in set(DisbursementMethod):
        errors[f"{prefix}-method"] = [forms.CHOOSE]
    if problem := forms.reference_problem(fields["reference"]):
        errors[f"{prefix}-reference"] = [problem]
    if problem := forms.reference_problem(fields["invoice"], required=False):
        errors[f"{prefix}-invoice"] = [problem]
    if errors:
        return await _invalid(request, context, officer, errors, submitted)
    payment = Payment(
        method=DisbursementMethod(fields["method"]),
        payment_reference=fields["reference"],
        invoice_number=fields["invoice"] or None,
    )
    try:
        installment, _ = await payments.disburse(
            context, installment_id, payment, officer, forms.text(form, "key") or None
        )
    except GrantsError as error:
        message, status = _refusal(request, error)
        return await finance_page(
            request, context, officer, errors={prefix: [message]}, submitted=submitted, status_code=status
        )
    await access_log.record(context.pool, Actor.of(officer), Action.PAY, [installment.case_id])
    return RedirectResponse("/finance?done=disbursed#disbursed", status_code=303)


@router.post("/finance/funding")
async def funding(request: Request, context: Context, officer: Officer) -> Response:
    form = await request.form()
    fields = {name: forms.text(form, f"funding-{name}") for name in ("programme", "amount", "reference")}
    submitted = {f"funding-{name}": value for name, value in fields.items()}
    errors: dict[str, list[str]] = {}
    mine = [p for p in context.policies.programmes if officer.may_see_programme(p.id)]
    programme = next((p for p in mine if p.id == fields["programme"]), None)
    amount = 0
    if programme is None:
        errors["funding-programme"] = [forms.CHOOSE]
    else:
        try:
            amount = forms.minor_units(fields["amount"], programme.currency)
        except ValueError as error:
            errors["funding-amount"] = [str(error)]
    if problem := forms.reference_problem(fields["reference"]):
        errors["funding-reference"] = [problem]
    if errors or programme is None:
        return await _invalid(request, context, officer, errors, submitted)
    try:
        await record_funding(
            context,
            programme.id,
            Money(amount=amount, currency=programme.currency),
            reference=fields["reference"],
            idempotency_key=forms.text(form, "key") or uuid.uuid4().hex,
            officer=officer,
        )
    except GrantsError as error:
        message, status = _refusal(request, error)
        return await finance_page(
            request, context, officer, errors={"funding": [message]}, submitted=submitted, status_code=status
        )
    return RedirectResponse("/finance?done=funded#programmes", status_code=303)
