"""The caseworker page at `/`: the sign-in page or the case list; signing in and out itself is the
shared `shared.http.signin` (one session for every service on the host); and how the pages answer
a visitor who is not signed in or not allowed (the sign-in page, an HTML page)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.case import CaseStatus
from services.intake.core.permissions import EDITORS, READERS
from services.intake.core.views import summary_for
from services.intake.http.deps import intake_of
from services.intake.http.pages.render import PAGES, options, render
from services.intake.use_cases import cases as use_cases
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.sessions import page_session_user
from shared.identity.model import Role, User
from shared.privacy import Action

router = APIRouter(include_in_schema=False)


def sign_in_page(request: Request, error: str = "", status_code: int = 200, name: str = "") -> Response:
    return PAGES.sign_in_page(request, error, status_code, name)


@router.get("/")
async def home(request: Request) -> Response:
    user = await page_session_user(request)
    if user is None:
        return sign_in_page(request)
    request.state.user = user
    if user.role is Role.ADMIN:  # an admin's page is the people and their sessions
        return RedirectResponse("/admin/users", status_code=303)
    if user.role not in READERS:
        lang = PAGES.lang(request)
        message = i18n.gettext(lang, N_("Your role (%(role)s) has no case list here."), role=user.role.value)
        return PAGES.error(request, N_("Nothing to show"), message, 403)
    return await case_list(request, user)


async def case_list(request: Request, user: User) -> Response:
    params = request.query_params
    status = params.get("status") or None
    intake = intake_of(request)
    found = await use_cases.find_cases(
        intake,
        user,
        programme=params.get("programme") or None,
        municipality=params.get("municipality") or None,
        status=CaseStatus(status) if status in set(CaseStatus) else None,
        q=(params.get("q") or "").strip()[:100] or None,
        limit=20,
        cursor=_uuid(params.get("cursor")),
    )
    await use_cases.record_reads(intake, user, Action.LIST, (c.id for c in found.cases))
    return render(
        request,
        "cases.html",
        {
            "cases": [summary_for(user, c) for c in found.cases],
            "next_cursor": found.next_cursor,
            "filters": {k: params.get(k, "") for k in ("q", "programme", "municipality", "status")},
            "statuses": options(CaseStatus),
            "may_register": user.role in EDITORS,
            "dpo": user.role is Role.DPO,  # reads each case's access log, not the case
        },
    )


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
