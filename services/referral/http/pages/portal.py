"""The partner portal's routes: `/portal` (the partner's open referrals), `/portal/referrals/{id}`
(one referral as it was sent, and the answers it takes now), and its answer form."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context

from services.referral.core.portal import MAX_TEXT, Answer, AnswerProblem, NotFound
from services.referral.http.deps import context_of, pool
from services.referral.use_cases import portal as use_cases
from shared.db import Pool
from shared.http.i18n import N_, gettext
from shared.http.pages import Pages
from shared.http.sessions import page_user
from shared.identity.model import Role, User

from .labels import CATEGORY_LABELS, FIELD_LABELS, PRIORITY_LABELS

router = APIRouter(include_in_schema=False)
Staff = Annotated[User, Depends(page_user(Role.PARTNER))]
Database = Annotated[Pool, Depends(pool)]

HOME = "/portal"

# what the page says about an answer's text (codes from core/portal.py), and what was sent
PROBLEMS = {
    "missing": N_("Write a few words: the caseworker reads them."),
    "too_long": N_("At most 500 characters."),
    "not_now": N_("This referral does not take that answer now."),
    "pending": N_("An answer to this referral is already on its way. Reload the page in a moment."),
}
SENT = {
    "accept": N_("Accepted. The caseworker is told."),
    "decline": N_("Declined. The referral goes to another partner."),
    "complete": N_("Completed. The caseworker is told."),
}


@pass_context
def _format_time(context: Context, value: datetime | None) -> str:
    """A deadline, in the page's language, in UTC (said on the page)."""
    if value is None:
        return ""
    return format_datetime(
        value.astimezone(UTC), format="medium", tzinfo=UTC, locale=context.get("lang", "en")
    )


def _field_label(code: object) -> str:
    return FIELD_LABELS.get(str(code), str(code))


# what the error summary calls the answer form's fields, in the page's language
FORM_FIELDS = {"answer": N_("Your answer"), "reason": N_("Why you decline"), "outcome": N_("Outcome")}


@pass_context
def _form_field(context: Context, name: str) -> str:
    return gettext(str(context.get("lang", "en")), FORM_FIELDS.get(name, name))


PAGES = Pages(Path(__file__).parent / "templates", home_url=HOME)
PAGES.env.filters["format_time"] = _format_time
PAGES.env.filters["payload_label"] = _field_label
PAGES.env.filters["field_label"] = _form_field
PAGES.env.globals["category_labels"] = CATEGORY_LABELS
PAGES.env.globals["priority_labels"] = PRIORITY_LABELS


def _refused(request: Request) -> Response:
    lang = PAGES.lang(request)
    message = gettext(lang, N_("Your partner is not in the partner directory: ask the programme office."))
    return PAGES.error(request, N_("Not allowed"), message, 403)


def _not_found(request: Request) -> Response:
    message = gettext(
        PAGES.lang(request), N_("There is no such referral among your partner's open referrals.")
    )
    return PAGES.error(request, N_("Not found"), message, 404)


@router.get(HOME)
async def referrals(request: Request, staff: Staff, database: Database) -> Response:
    try:
        found = await use_cases.open_referrals(database, context_of(request), staff)
    except use_cases.NotPartnerStaff:
        return _refused(request)
    done = request.query_params.get("sent")
    context = {
        "referrals": found,
        "partner": _partner_name(request, staff),
        "sent": gettext(PAGES.lang(request), SENT[done]) if done in SENT else "",
    }
    return PAGES.render(request, "portal.html", context)


async def _referral_page(
    request: Request,
    staff: User,
    database: Pool,
    referral_id: UUID,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        shown = await use_cases.open_referral(database, context_of(request), staff, referral_id)
    except use_cases.NotPartnerStaff:
        return _refused(request)
    except NotFound:
        return _not_found(request)
    done = request.query_params.get("sent")
    context: dict[str, Any] = {
        "referral": shown,
        "partner": _partner_name(request, staff),
        "errors": errors or {},
        "submitted": submitted or {},
        "sent": gettext(PAGES.lang(request), SENT[done]) if done in SENT else "",
        "max_text": MAX_TEXT,
    }
    return PAGES.render(request, "referral.html", context, status_code)


@router.get(HOME + "/referrals/{referral_id}")
async def referral(request: Request, referral_id: UUID, staff: Staff, database: Database) -> Response:
    return await _referral_page(request, staff, database, referral_id)


@router.post(HOME + "/referrals/{referral_id}/answer")
async def answer(request: Request, referral_id: UUID, staff: Staff, database: Database) -> Response:
    """The partner is the session's; the form says only which answer and its words."""
    form = await request.form()
    given = str(form.get("answer", ""))
    text_field = "reason" if given == Answer.DECLINE else "outcome"
    text = str(form.get(text_field, ""))
    chosen = Answer(given) if given in set(Answer) else None
    try:
        if chosen is None:
            raise AnswerProblem("answer", "not_now")
        await use_cases.answer(database, context_of(request), staff, referral_id, chosen, text)
    except use_cases.NotPartnerStaff:
        return _refused(request)
    except NotFound:
        return _not_found(request)
    except AnswerProblem as problem:
        message = gettext(PAGES.lang(request), PROBLEMS[problem.message])
        return await _referral_page(
            request,
            staff,
            database,
            referral_id,
            errors={problem.field: [message]},
            submitted={text_field: text},
            status_code=422,
        )
    # a declined or completed referral leaves the open list (once referral applied the answer, which
    # may be before the browser follows the redirect): say so on the list, not on a page now gone
    back = f"{HOME}/referrals/{referral_id}" if chosen is Answer.ACCEPT else HOME
    return RedirectResponse(f"{back}?sent={chosen.value}", status_code=303)


def _partner_name(request: Request, staff: User) -> str:
    partner = context_of(request).directory.partner(staff.partner_id or "")
    return partner.name if partner is not None else ""
