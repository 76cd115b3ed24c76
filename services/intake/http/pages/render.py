"""The caseworker pages' `Pages` (shared.http.pages): intake's templates, the field names its error
summary uses (in the page's language), how a page names a user who acted and a case that is not
there, and the catalogue every page's forms draw their choices from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import Response

from services.intake.http.deps import intake_of
from services.intake.http.pages import labels  # noqa: F401 - registers intake's codes' labels
from services.intake.http.pages.forms import field_label
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.pages import Pages, label, options, short_id
from shared.identity.model import User

__all__ = ["PAGES", "label", "no_such_case", "options", "render", "who"]


@pass_context
def _field_label(context: Context, name: str) -> str:
    return field_label(name, i18n.language_of(context))


def _intake_context(request: Request) -> dict[str, Any]:
    return {"catalogue": intake_of(request).catalogue}


PAGES = Pages(Path(__file__).parent / "templates", context=_intake_context)
PAGES.env.filters["field_label"] = _field_label


def no_such_case(request: Request, case_id: UUID) -> Response:
    message = i18n.gettext(PAGES.lang(request), N_("There is no case %(id)s."), id=case_id)
    return PAGES.error(request, N_("No such case"), message, 404)


def who(request: Request, user: User) -> Callable[[UUID], str]:
    """How the page names a user who acted: "you", or their id abbreviated (no names)."""
    lang = PAGES.lang(request)
    you, someone = i18n.gettext(lang, N_("you")), N_("user %(id)s")
    return lambda user_id: you if user_id == user.id else i18n.gettext(lang, someone, id=short_id(user_id))


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return PAGES.render(request, template, context, status_code)
