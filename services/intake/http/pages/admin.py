"""The admins' pages, `/admin/users`: people (add one, change their role and programmes, reset a
password) and their sessions (see and end them). The forms are read by the users API's own models
and carried out by the same identity use cases (`shared.identity.admin.UserAdmin`), so a page and
the API refuse alike; an admin may not change themselves (another admin must)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from services.intake.http.api.user_changes import GrantChange, PasswordReset
from services.intake.http.api.users import NewUser, admin_actor, user_admin
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import PAGES, options, render
from shared.http.i18n import N_, gettext
from shared.http.sessions import page_user
from shared.identity.admin import GrantRefused, InvalidUser, UnknownUser
from shared.identity.model import CaseScope, Role, User
from shared.identity.store import IdentityStore

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(page_user(Role.ADMIN))]
SHOWN = 200
DONE = {
    "added": N_("Person added."),
    "grant": N_("Role and programmes changed."),
    "password": N_("Password reset: their sessions have ended."),
    "session": N_("Session ended."),
}
NO_SUCH_SESSION = N_("That session has ended already.")
Errors = dict[str, list[str]]
M = TypeVar("M", bound=BaseModel)


def identity_of(request: Request) -> IdentityStore:
    store: IdentityStore = request.app.state.identity
    return store


def _scope_fields(form: FormData, prefix: str) -> dict[str, Any]:
    return {
        "role": forms.text(form, f"{prefix}role"),
        "programmes": [p for p in form.getlist(f"{prefix}programmes") if isinstance(p, str)],
        "office": forms.text(form, f"{prefix}office") or None,
        "case_scope": forms.text(form, f"{prefix}case_scope") or CaseScope.PROGRAMMES.value,
    }


def _read(model: type[M], data: dict[str, Any], prefix: str) -> tuple[M | None, Errors]:
    """The form as the API's body model reads it; errors by the page's field names."""
    try:
        return model.model_validate(data), {}
    except ValidationError as invalid:
        errors: Errors = {}
        for problem in invalid.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(f"{prefix}{field}", []).append(problem["msg"].removeprefix("Value error, "))
        return None, errors


def _refused(error: InvalidUser | GrantRefused | UnknownUser, prefix: str) -> Errors:
    if isinstance(error, InvalidUser):
        errors: Errors = {}
        for field, message in error.problems:
            errors.setdefault(f"{prefix}{field}", []).append(message)
        return errors
    return {f"{prefix}form": [str(error)]}


def _choices(request: Request) -> dict[str, Any]:
    programmes = intake_of(request).catalogue.programmes
    return {
        "roles": options(Role),
        "case_scopes": options(CaseScope),
        "programme_choices": [(p.id, p.name) for p in programmes.values()],
    }


def _notice(request: Request) -> str | None:
    done = DONE.get(request.query_params.get("done", ""))
    return gettext(PAGES.lang(request), done) if done else None


async def people_page(
    request: Request, errors: Errors | None = None, submitted: dict[str, Any] | None = None, status: int = 200
) -> Response:
    store = identity_of(request)
    after = request.query_params.get("after")
    try:
        cursor = UUID(after) if after else None
    except ValueError:
        cursor = None
    accounts = await store.accounts(include_revoked=False, limit=SHOWN + 1, after=cursor)
    page = {
        "accounts": [(a, await store.sessions.live_count(a.user.id)) for a in accounts[:SHOWN]],
        "next_after": accounts[SHOWN - 1].user.id if len(accounts) > SHOWN else None,
        "errors": errors or {},
        "submitted": submitted or {},
        "notice": _notice(request),
        **_choices(request),
    }
    return render(request, "admin_users.html", page, status)


@router.get("/admin/users")
async def people(request: Request, _: Admin) -> Response:
    return await people_page(request)


@router.post("/admin/users")
async def add_person(request: Request, admin: Admin) -> Response:
    form = await request.form()
    data = {
        "name": forms.text(form, "new-name"),
        "password": forms.text(form, "new-password") or None,
        **_scope_fields(form, "new-"),
    }
    submitted = {**data, "password": None}  # never drawn back into the page
    body, errors = _read(NewUser, data, "new-")
    if body is None or body.password is None:
        errors = errors or {"new-password": [gettext(PAGES.lang(request), N_("Give the person a password"))]}
        return await people_page(request, errors, submitted, 422)
    try:
        added = await user_admin(request, intake_of(request)).add(
            body.name, body.grant(), admin_actor(admin), password=body.password, token_days=None
        )
    except InvalidUser as invalid:
        return await people_page(request, _refused(invalid, "new-"), submitted, 422)
    return RedirectResponse(f"/admin/users/{added.user.id}?done=added", status_code=303)


async def person_page(
    request: Request,
    admin: User,
    user_id: UUID,
    errors: Errors | None = None,
    submitted: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    store = identity_of(request)
    account = await store.account(user_id)
    if account is None:
        return PAGES.error(request, N_("Not found"), gettext(PAGES.lang(request), N_("No such person.")), 404)
    page = {
        "account": account,
        "person": account.user,
        "yourself": account.user.id == admin.id,
        "sessions": await store.sessions.live_of(user_id),
        "grants": await store.grants_of(user_id),
        "errors": errors or {},
        "submitted": submitted or {},
        "notice": _notice(request),
        **_choices(request),
    }
    return render(request, "admin_user.html", page, status)


@router.get("/admin/users/{user_id}")
async def person(user_id: UUID, request: Request, admin: Admin) -> Response:
    return await person_page(request, admin, user_id)


@router.post("/admin/users/{user_id}/grant")
async def change_grant(user_id: UUID, request: Request, admin: Admin) -> Response:
    form = await request.form()
    data = _scope_fields(form, "")
    body, errors = _read(GrantChange, data, "")
    if body is None:
        return await person_page(request, admin, user_id, errors, data, 422)
    try:
        await user_admin(request, intake_of(request)).change_grant(user_id, body.grant(), admin_actor(admin))
    except (InvalidUser, GrantRefused, UnknownUser) as error:
        status = 422 if isinstance(error, InvalidUser) else 409
        return await person_page(request, admin, user_id, _refused(error, ""), data, status)
    return RedirectResponse(f"/admin/users/{user_id}?done=grant", status_code=303)


@router.post("/admin/users/{user_id}/password")
async def reset_password(user_id: UUID, request: Request, admin: Admin) -> Response:
    form = await request.form()
    body, errors = _read(PasswordReset, {"password": forms.text(form, "password")}, "")
    if body is None:
        return await person_page(request, admin, user_id, errors, None, 422)
    try:
        await user_admin(request, intake_of(request)).reset_password(user_id, body.password)
    except (InvalidUser, UnknownUser) as error:
        return await person_page(request, admin, user_id, _refused(error, ""), None, 422)
    return RedirectResponse(f"/admin/users/{user_id}?done=password#sessions", status_code=303)


@router.post("/admin/users/{user_id}/sessions/{id_hash}/end")
async def end_session(user_id: UUID, id_hash: str, request: Request, admin: Admin) -> Response:
    if not await identity_of(request).sessions.end_by_admin(user_id, id_hash):
        message = gettext(PAGES.lang(request), NO_SUCH_SESSION)
        return await person_page(request, admin, user_id, {"sessions": [message]}, None, 409)
    return RedirectResponse(f"/admin/users/{user_id}?done=session#sessions", status_code=303)
