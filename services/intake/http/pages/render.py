"""The caseworker pages' `Pages` (shared.http.pages): intake's templates, the field names its error
summary uses, and the catalogue every page's forms draw their choices from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import Response

from services.intake.http.deps import intake_of
from services.intake.http.pages.forms import field_label
from shared.http.pages import Pages, label, options
from shared.money import Money

__all__ = ["PAGES", "label", "options", "render"]


def money(value: Money | None) -> str:
    return str(value) if value is not None else ""


def _intake_context(request: Request) -> dict[str, Any]:
    return {"catalogue": intake_of(request).catalogue}


PAGES = Pages(Path(__file__).parent / "templates", context=_intake_context)
PAGES.env.filters["field_label"] = field_label
PAGES.env.filters["money"] = money


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return PAGES.render(request, template, context, status_code)
