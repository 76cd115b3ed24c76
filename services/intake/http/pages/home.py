"""The caseworker page at `/`: signing in and out, and the case list; and how the pages answer a
visitor who is not signed in or not allowed (a redirect to sign in, an HTML page)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.intake.core.case import CaseStatus
from services.intake.core.permissions import EDITORS
from services.intake.core.views import summary_for
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import options, render
from services.intake.http.pages.session import (
    PageForbidden,
    SignInRequired,
    forget,
    remember,
    user_for_cookie,
)
from services.intake.use_cases import cases as use_cases
from shared.identity.model import Role, User
from shared.identity.store import IdentityStore
from shared.privacy import Action

router = APIRouter(include_in_schema=False)


def install_page_errors(app: FastAPI) -> None:
    async def sign_in_first(request: Request, _: Exception) -> Response:
        return RedirectResponse("/", status_code=303)

    async def forbidden(request: Request, error: Exception) -> Response:
        if not isinstance(error, PageForbidden):  # registered for this type only
            raise error
        return render(request, "error.html", {"title": "Not allowed", "message": error.message}, 403)

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(PageForbidden, forbidden)


@router.get("/")
async def home(request: Request) -> Response:
    user = await user_for_cookie(request)
    if user is None:
        return render(request, "signin.html", {"errors": {}})
    request.state.user = user
    return await case_list(request, user)


@router.post("/signin")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    token = forms.text(form, "token")
    store: IdentityStore = request.app.state.identity
    user = await store.user_for_token(token) if token else None
    if user is None:
        message = (
            "Enter your access token"
            if not token
            else "This token is not valid, or has expired or been revoked"
        )
        return render(request, "signin.html", {"errors": {"token": [message]}}, 401)
    response = RedirectResponse("/", status_code=303)
    remember(response, request, token)
    return response


@router.post("/signout")
async def sign_out() -> Response:
    response = RedirectResponse("/", status_code=303)
    forget(response)
    return response


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
