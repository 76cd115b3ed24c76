"""The access log page for the data-protection officer: who read or changed one case's data, or
everything one user read or changed, with when and why. Ids and codes only, no personal data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.intake.http.deps import intake_of
from services.intake.http.pages.render import PAGES, render
from services.intake.store.cases import ACCESS_LOG_CASES
from services.intake.use_cases import cases as use_cases
from shared import access_log
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.labels import Msg
from shared.http.sessions import page_user
from shared.identity.model import Role, User

router = APIRouter(include_in_schema=False)

Officer = Annotated[User, Depends(page_user(Role.DPO))]


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@router.get("/access-log")
async def access_log_page(request: Request, officer: Officer) -> Response:
    intake = intake_of(request)
    params = request.query_params
    case_id, user_id = _uuid(params.get("case_id")), _uuid(params.get("user_id"))
    entries: list[access_log.AccessEntry] = []
    message = None
    if case_id is not None:
        if await use_cases.case_in_scope(intake, case_id, officer):
            entries = await access_log.for_case(intake.pool, case_id)
        else:
            message = i18n.gettext(PAGES.lang(request), N_("There is no case %(id)s."), id=case_id)
    elif user_id is not None:  # within the officer's own programmes and cases, as the API
        scope = access_log.Scope(ACCESS_LOG_CASES, officer.programme_scope(), officer.case_limit())
        entries = await access_log.for_actor(intake.pool, user_id, scope)
    elif params.get("case_id") or params.get("user_id"):
        message = Msg(N_("Enter a case id or a user id (a UUID)."))
    return render(
        request,
        "access_log.html",
        {"entries": entries, "case_id": case_id, "user_id": user_id, "message": message},
        404 if message and case_id else 200,
    )
