"""The caseworker's referral page: `/cases/{case_id}/referrals` lists a case's referrals (category,
partner, status, priority, dates) with a form for each action the referral allows now — withdraw
with a reason, re-route to an eligible partner, place an unplaced one by hand, hold an escalated one
or release it. Forms POST and redirect (303) back to the page; a form with a problem re-renders the
page with the message beside its field (422), a move refused re-renders it with the reason (409).

Caseworkers and supervisors only — the roles that may see which partner holds a referral (the API
shows it to them too: http/referrals.py); anyone else signed in gets the 403 page. A case outside
their scope is "not found", as one that does not exist. No JavaScript."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.referral.core import actions as rules
from services.referral.core.directory import PARTNER_ID_PATTERN
from services.referral.core.errors import NotInScope, RefusedTransition
from services.referral.core.status import FINAL
from services.referral.core.visibility import PARTNERS_WORDS
from services.referral.http import words
from services.referral.http.deps import context_of, pool
from services.referral.use_cases import actions
from services.referral.use_cases.case_view import ReferralView, case_referrals
from services.referral.use_cases.context import ReferralContext
from shared.db import Pool
from shared.events import ReferralStatus
from shared.http.i18n import N_, gettext
from shared.http.pages import Pages
from shared.http.sessions import page_user, user_for_session
from shared.identity.model import Role, User

from .portal import HOME as PORTAL

router = APIRouter(include_in_schema=False)
Caseworker = Annotated[User, Depends(page_user(Role.CASEWORKER, Role.SUPERVISOR))]
Database = Annotated[Pool, Depends(pool)]

PAGES = Pages(Path(__file__).parent / "templates" / "caseworker")

DONE = {
    "withdraw": N_("Referral withdrawn. The partner has been told."),
    "reroute": N_("Referral sent to the chosen partner; the previous partner has been told."),
    "place": N_("Referral sent to the chosen partner."),
    "hold": N_("Referral held: it will not be re-routed automatically."),
    "release": N_("Hold released: the referral is re-routed automatically after its second deadline."),
}
CHOOSE_REASON = N_("Choose a reason from the list")
CHOOSE_PARTNER = N_("Choose a partner from the list")


def _row(view: ReferralView, directory_name: dict[str, str], lang: str) -> dict[str, Any]:
    referral = view.referral
    # a decline's reason and a completion's outcome are the partner's own words: shown as written
    partners_words = referral.status in PARTNERS_WORDS
    return {
        "referral": referral,
        "id": str(referral.referral_id),
        "category": words.words(lang, words.CATEGORIES, referral.category),
        "status": words.words(lang, words.STATUSES, referral.status),
        "priority": words.words(lang, words.PRIORITIES, referral.priority),
        "reason": referral.reason if partners_words else words.words(lang, words.REASONS, referral.reason),
        "partner": directory_name.get(referral.partner_id or "", referral.partner_id),
        "eligible": [(p.id, p.name) for p in view.eligible],
        "may_withdraw": referral.status not in FINAL,
        "may_reroute": referral.status in rules.REROUTABLE and bool(view.eligible),
        "may_place": referral.status in rules.PLACEABLE and bool(view.eligible),
        "may_hold": referral.status is ReferralStatus.ESCALATED and referral.held_at is None,
        "may_release": referral.status is ReferralStatus.ESCALATED and referral.held_at is not None,
    }


async def referrals_page(
    request: Request,
    user: User,
    database: Pool,
    case_id: UUID,
    *,
    status_code: int = 200,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    context = context_of(request)
    lang = PAGES.lang(request)
    try:
        found = await case_referrals(database, context, user, case_id)
    except NotInScope:
        message = gettext(lang, N_("There is no case %(case)s with referrals."), case=str(case_id))
        return PAGES.error(request, N_("Not found"), message, 404)
    names = {p.id: p.name for p in context.directory.partners}
    done = request.query_params.get("done", "")
    page = {
        "case_id": case_id,
        "closed": found.closed,
        "rows": [_row(view, names, lang) for view in found.referrals],
        "reasons": [(code.value, gettext(lang, text)) for code, text in words.WITHDRAW_REASONS.items()],
        "errors": errors or {},
        "notice": gettext(lang, DONE[done]) if done in DONE else None,
    }
    return PAGES.render(request, "referrals.html", page, status_code)


@router.get("/")
async def home(request: Request) -> Response:
    """Referral's pages are reached from a case (intake's case page links here); partners' staff
    are sent to their portal (the page every sign-in here returns to)."""
    user = await user_for_session(request)
    if user is None:
        return PAGES.sign_in_page(request)
    if user.role is Role.PARTNER:  # a partner's staff work on the partner portal
        return RedirectResponse(PORTAL, status_code=303)
    request.state.user = user
    return PAGES.render(request, "index.html", {})


@router.get("/cases/{case_id}/referrals")
async def show(case_id: UUID, request: Request, user: Caseworker, database: Database) -> Response:
    return await referrals_page(request, user, database, case_id)


async def _act(
    request: Request,
    user: User,
    database: Pool,
    case_id: UUID,
    referral_id: UUID,
    section: str,
    action: Callable[[], Awaitable[object]],
) -> Response:
    """Do `action` on a referral of this case; the page again with what went wrong, if anything."""
    try:
        if await actions.in_scope(database, user, referral_id) != case_id:
            raise NotInScope(f"no referral {referral_id} in case {case_id}")
        await action()
    except NotInScope:
        return await referrals_page(request, user, database, case_id, status_code=404)
    except RefusedTransition as refused:
        field = "reason" if section == "withdraw" else section  # the form's field the message sits by
        errors = {f"{field}-{referral_id}": [str(refused)]}
        return await referrals_page(request, user, database, case_id, status_code=409, errors=errors)
    return RedirectResponse(
        f"/cases/{case_id}/referrals?done={section}#referral-{referral_id}", status_code=303
    )


async def _invalid(
    request: Request, user: User, database: Pool, case_id: UUID, field: str, message: str
) -> Response:
    errors = {field: [gettext(PAGES.lang(request), message)]}
    return await referrals_page(request, user, database, case_id, status_code=422, errors=errors)


@router.post("/cases/{case_id}/referrals/{referral_id}/withdraw")
async def withdraw(
    case_id: UUID, referral_id: UUID, request: Request, user: Caseworker, database: Database
) -> Response:
    form = await request.form()
    try:
        reason = rules.WithdrawReason(str(form.get("reason", "")))
    except ValueError:
        return await _invalid(request, user, database, case_id, f"reason-{referral_id}", CHOOSE_REASON)
    return await _act(
        request,
        user,
        database,
        case_id,
        referral_id,
        "withdraw",
        lambda: actions.withdraw(database, context_of(request), user, referral_id, reason),
    )


async def _partner_form(request: Request) -> str | None:
    chosen = str((await request.form()).get("partner_id", ""))
    return chosen if re.fullmatch(PARTNER_ID_PATTERN, chosen) else None


@router.post("/cases/{case_id}/referrals/{referral_id}/reroute")
async def reroute(
    case_id: UUID, referral_id: UUID, request: Request, user: Caseworker, database: Database
) -> Response:
    return await _to_partner(request, user, database, case_id, referral_id, "reroute", actions.reroute)


@router.post("/cases/{case_id}/referrals/{referral_id}/place")
async def place(
    case_id: UUID, referral_id: UUID, request: Request, user: Caseworker, database: Database
) -> Response:
    return await _to_partner(request, user, database, case_id, referral_id, "place", actions.place_by_hand)


async def _to_partner(
    request: Request,
    user: User,
    database: Pool,
    case_id: UUID,
    referral_id: UUID,
    section: str,
    send: Callable[[Pool, ReferralContext, User, UUID, str], Awaitable[object]],
) -> Response:
    """Send the referral to the partner the form chose (re-routed, or placed by hand)."""
    chosen = await _partner_form(request)
    if chosen is None:
        return await _invalid(request, user, database, case_id, f"{section}-{referral_id}", CHOOSE_PARTNER)
    return await _act(
        request,
        user,
        database,
        case_id,
        referral_id,
        section,
        lambda: send(database, context_of(request), user, referral_id, chosen),
    )


@router.post("/cases/{case_id}/referrals/{referral_id}/hold")
async def hold(
    case_id: UUID, referral_id: UUID, request: Request, user: Caseworker, database: Database
) -> Response:
    return await _act(
        request,
        user,
        database,
        case_id,
        referral_id,
        "hold",
        lambda: actions.hold(database, context_of(request), user, referral_id),
    )


@router.post("/cases/{case_id}/referrals/{referral_id}/release")
async def release(
    case_id: UUID, referral_id: UUID, request: Request, user: Caseworker, database: Database
) -> Response:
    return await _act(
        request,
        user,
        database,
        case_id,
        referral_id,
        "release",
        lambda: actions.release(database, context_of(request), user, referral_id),
    )
