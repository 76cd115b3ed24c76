"""Grants' `Pages` (shared.http.pages), the home page that sends each role to its own, and what the
finance and audit pages both read: the programmes' balances and the ledger check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context as JinjaContext

from services.grants.http.deps import Context
from services.grants.http.programmes import programme_views
from services.grants.use_cases.audit import verify_database_chain
from shared.http.i18n import N_, gettext
from shared.http.pages import Pages
from shared.http.sessions import page_session_user, page_user
from shared.identity.model import Role, User
from shared.money import Money

PAGES = Pages(Path(__file__).parent / "templates", home_url="/")
render = PAGES.render

# where each role's page is; a role not named here has no page in grants
HOMES = {Role.FINANCE: "/finance", Role.AUDITOR: "/audit"}
Reader = Annotated[User, Depends(page_user(Role.FINANCE, Role.AUDITOR))]

router = APIRouter(include_in_schema=False)


def money(amount: int, currency: str) -> Money:
    """A balance in minor units as Money, for the `format_money` filter."""
    return Money(amount=amount, currency=currency)


PAGES.env.globals["money"] = money

# what the error summary calls a field (the last part of its id), or the row a refusal is about
FIELD_LABELS = {
    "method": N_("Method"),
    "reference": N_("Reference"),
    "invoice": N_("Invoice number"),
    "programme": N_("Programme"),
    "amount": N_("Amount"),
    "funding": N_("Donor funding"),
}


@pass_context
def field_label(context: JinjaContext, field: str) -> str:
    message = FIELD_LABELS.get(field.rsplit("-", 1)[-1], N_("Installment"))
    return gettext(str(context.get("lang", "en")), message)


PAGES.env.filters["field_label"] = field_label


@router.get("/")
async def home(request: Request) -> Response:
    user = await page_session_user(request)
    if user is None:
        return PAGES.sign_in_page(request)
    request.state.user = user
    if user.role not in HOMES:
        return PAGES.error(request, N_("Not allowed"), _no_page(request, user), 403)
    return RedirectResponse(HOMES[user.role], status_code=303)


def _no_page(request: Request, user: User) -> str:
    return gettext(PAGES.lang(request), N_("Your role (%(role)s) has no page here."), role=user.role.value)


async def programmes_of(context: Context, user: User) -> list[Any]:
    """The user's programmes with their balances now."""
    visible = [p for p in context.policies.programmes if user.may_see_programme(p.id)]
    return await programme_views(context, visible, None)


def whole_ledger(context: Context, user: User) -> bool:
    """Whether `user` reads every programme: the export and the check speak of all of them."""
    return user.may_see_programmes(p.id for p in context.policies.programmes)


@router.get("/ledger/verify")
async def verify(request: Request, context: Context, user: Reader) -> Response:
    """The chain check, its result on a page (a read: a GET, so a reload checks again)."""
    if not whole_ledger(context, user):
        message = N_("The ledger holds every programme's entries; your programmes are not all of them.")
        return PAGES.error(request, N_("Not allowed"), _translated(request, message), 403)
    verdict = await verify_database_chain(context.pool, context.signing.public_keys)
    return render(request, "verify.html", {"verdict": verdict, "line": verdict.line()})


def _translated(request: Request, message: str) -> str:
    return gettext(PAGES.lang(request), message)
