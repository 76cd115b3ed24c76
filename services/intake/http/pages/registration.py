"""The registration form, which works without JavaScript: "Add a household member" is a submit
button that re-renders the form with one more row."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from services.intake.core.errors import DuplicateSuspected, IdempotencyKeyReused
from services.intake.core.permissions import EDITORS
from services.intake.core.requests import MAX_MEMBERS, DocumentType
from services.intake.core.validation import Invalid
from services.intake.http.deps import intake_of
from services.intake.http.pages import forms
from services.intake.http.pages.render import options, render
from services.intake.use_cases import cases as use_cases
from shared.events.codes import Category, Relationship, Sex, Vulnerability
from shared.http.i18n import N_
from shared.http.labels import Msg
from shared.http.sessions import page_user
from shared.identity.model import User

router = APIRouter(include_in_schema=False)

Editor = Annotated[User, Depends(page_user(*EDITORS))]


def _blank_member(first: bool) -> dict[str, str]:
    row = dict.fromkeys(forms.MEMBER_FIELDS, "")
    row["relationship"] = Relationship.PRINCIPAL.value if first else ""
    return row


def registration_page(
    request: Request, form: FormData, members: list[dict[str, str]], **extra: Any
) -> Response:
    status_code = extra.pop("status_code", 200)
    catalogue = intake_of(request).catalogue
    user = getattr(request.state, "user", None)
    context = {
        # the user's own programmes: a case of another could not be registered (and would be unseen)
        "programme_options": [
            (p.id, p.name)
            for p in catalogue.programmes.values()
            if user is not None and user.may_see_programme(p.id)
        ],
        "country_options": [(code, c.name) for code, c in catalogue.countries.items()],
        "form": form,
        "members": members,
        "max_members": MAX_MEMBERS,
        "errors": {},
        "duplicate": None,
        "sexes": options(Sex),
        "relationships": options(Relationship),
        "document_types": options(DocumentType),
        "vulnerabilities": options(Vulnerability),
        "categories": options(Category),
        "idempotency_key": forms.text(form, "idempotency_key") or str(uuid4()),
        **extra,
    }
    return render(request, "register.html", context, status_code)


@router.get("/cases/new")
async def new_case(request: Request, user: Editor) -> Response:
    countries = list(intake_of(request).catalogue.countries)
    defaults = FormData([("country_of_return", countries[0])] if len(countries) == 1 else [])
    return registration_page(request, defaults, [_blank_member(first=True)])


@router.post("/cases/new")
async def submit_registration(request: Request, user: Editor) -> Response:
    form = await request.form()
    members = forms.member_rows(form)
    action = forms.text(form, "action") or "register"
    if action == "add_member":
        if len(members) < MAX_MEMBERS:
            members.append(_blank_member(first=False))
        return registration_page(request, form, members, focus=f"members-{len(members) - 1}-name")
    if action.startswith("remove:"):
        index = int(action[7:]) if action[7:].isdigit() else -1
        if 0 <= index < len(members) and len(members) > 1:
            members.pop(index)
        return registration_page(request, form, members)
    intake = intake_of(request)
    key = forms.text(form, "idempotency_key") or None  # a double-clicked Register creates one case
    try:
        registered = await use_cases.register_case(intake, forms.registration_data(form, members), user, key)
    except Invalid as invalid:
        errors = forms.errors_by_field(invalid.problems)
        return registration_page(request, form, members, errors=errors, status_code=422)
    except DuplicateSuspected as duplicate:
        return registration_page(request, form, members, duplicate=duplicate.matches, status_code=409)
    except IdempotencyKeyReused:
        # sent again after going back and changing it: ask before registering a second case
        notice = Msg(
            N_("This form already registered a case. Check the details and register again for a new case.")
        )
        return registration_page(
            request, form, members, notice=notice, idempotency_key=str(uuid4()), status_code=409
        )
    return RedirectResponse(f"/cases/{registered.case.id}?done=registered", status_code=303)
