"""Jinja2 rendering for the caseworker page: templates, code labels and option lists."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from services.intake.http.deps import intake_of
from services.intake.http.pages.forms import field_label
from shared.http import i18n
from shared.money import Money

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC = Path(__file__).parent / "static"  # mounted at /static by the app


def label(code: object) -> str:
    """`victim_of_trafficking` -> `Victim of trafficking`."""
    text = str(code.value if isinstance(code, StrEnum) else code).replace("_", " ")
    return text[:1].upper() + text[1:]


def options(codes: Iterable[StrEnum]) -> list[tuple[str, str]]:
    return [(c.value, label(c)) for c in codes]


def money(value: Money | None) -> str:
    return str(value) if value is not None else ""


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


TEMPLATES.env.filters["label"] = label
TEMPLATES.env.filters["sentence"] = sentence
TEMPLATES.env.filters["field_label"] = field_label
TEMPLATES.env.filters["money"] = money
i18n.install(TEMPLATES.env)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    user = getattr(request.state, "user", None)
    base = {
        "user": user,
        "catalogue": intake_of(request).catalogue,
        **i18n.language_context(request, user.language if user else None),
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
