"""Server-rendered pages, as every service draws them: one layout (masthead, language switch, who is
signed in, skip link), the form macros, the stylesheet, the sign-in and error pages, and how a page
answers a visitor who is not signed in (the sign-in form, in place) or not allowed (a 403 page).

A service makes one `Pages` with its own templates folder (its `base.html` extends `layout.html`
and names the service) and installs it on its app; its routes call `pages.render`. The shared
templates live in shared/http/templates and are found after the service's own, so a service may
draw its own sign-in or error page by giving a file of that name. Pages work without JavaScript and
keep the strict Content-Security-Policy (`shared.http.security`): styles and images are served from
`/assets`, same origin."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from shared.http import i18n, signin
from shared.http.i18n import N_
from shared.http.labels import Msg, label_message
from shared.http.sessions import PageForbidden, SignInRequired, settings_of

ASSETS = Path(__file__).resolve().parent / "static"  # served at /assets by `Pages.install`


def label(code: object) -> str:
    """`victim_of_trafficking` -> `Victim of trafficking` (English: the catalogue's message; a page
    shows it in its language through the `label` filter)."""
    return str(label_message(code))


def options(codes: Iterable[StrEnum]) -> list[tuple[str, Msg]]:
    """A select's choices: (code, label) for each code; the form macros translate the labels."""
    return [(c.value, label_message(c)) for c in codes]


def short_id(value: object) -> str:
    """An id as a page abbreviates it: its last eight characters. Ids are UUIDv7, whose first
    characters are a timestamp: cases made the same minute would all begin alike."""
    return str(value)[-8:]


def sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


@pass_context
def _label(context: Context, code: object) -> str:
    return i18n.gettext(i18n.language_of(context), label_message(code))


@pass_context
def _tr(context: Context, text: object) -> str:
    """A `Msg` (a label, a page message made in Python) in the page's language; any other text
    (a programme's name, a person's) as it is."""
    if isinstance(text, Msg):
        return i18n.gettext(i18n.language_of(context), text)
    return "" if text is None else str(text)


class Pages:
    """One service's pages: its templates (then the shared ones), `home_url` (where the brand and
    the error pages link to), its own static files if any, and what every page's template is given
    besides its own context."""

    def __init__(
        self,
        templates: Path,
        *,
        home_url: str = "/",
        static: Path | None = None,
        context: Callable[[Request], dict[str, Any]] | None = None,
    ) -> None:
        self.templates = Jinja2Templates(directory=templates)
        self.static = static  # the service's own files, served at /static
        self.home_url = home_url
        self._context = context
        i18n.install(self.env)
        self.env.filters["label"] = _label
        self.env.filters["tr"] = _tr
        self.env.filters["sentence"] = sentence
        self.env.filters["short_id"] = short_id
        self.env.filters["field_label"] = (
            label  # what the error summary calls a field; a service may say better
        )

    @property
    def env(self) -> Environment:
        return self.templates.env

    def render(
        self, request: Request, template: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        user = getattr(request.state, "user", None)
        base = {
            "user": user,
            "home_url": self.home_url,
            "page_urls": settings_of(request).page_urls,  # the other services' pages, for links
            **i18n.language_context(request, user.language if user else None),
            **(self._context(request) if self._context else {}),
        }
        drawing = i18n.rendering_language.set(str(base["lang"]))
        try:  # TemplateResponse draws the page here, at once
            return self.templates.TemplateResponse(
                request, template, {**base, **context}, status_code=status_code
            )
        finally:
            i18n.rendering_language.reset(drawing)

    def lang(self, request: Request) -> str:
        """The page's language (`i18n.choose_language`) for text made in Python."""
        user = getattr(request.state, "user", None)
        return str(i18n.language_context(request, user.language if user else None)["lang"])

    def error(self, request: Request, title: str, message: str, status_code: int) -> Response:
        """The error page. `title` is a catalogue message (marked with `i18n.N_`), translated here;
        `message` is given in the page's language already."""
        title = i18n.gettext(self.lang(request), title)
        return self.render(request, "error.html", {"title": title, "message": message}, status_code)

    def sign_in_page(
        self, request: Request, error: str = "", status_code: int = 200, name: str = ""
    ) -> Response:
        """The sign-in form, with `error` above it (the shared sign-in routes draw it through this)."""
        settings = settings_of(request)
        context = {
            "errors": {"form": [error]} if error else {},
            "name": name,
            "idle_minutes": round(settings.session_idle_timeout_s / 60),
            "lifetime_hours": round(settings.session_lifetime_s / 3600),
        }
        return self.render(request, "signin.html", context, status_code)

    def install(self, app: FastAPI) -> None:
        """Sign-in and sign-out routes, the answers to a visitor not signed in or not allowed, and
        the shared assets at /assets."""
        app.include_router(signin.page_routes(self.sign_in_page, home=self.home_url))

        async def sign_in_first(request: Request, _: Exception) -> Response:
            return self.sign_in_page(request)

        async def forbidden(request: Request, error: Exception) -> Response:
            if not isinstance(error, PageForbidden):  # registered for this type only
                raise error
            message = i18n.gettext(self.lang(request), error.message, **error.variables)
            return self.error(request, N_("Not allowed"), message, 403)

        app.add_exception_handler(SignInRequired, sign_in_first)
        app.add_exception_handler(PageForbidden, forbidden)
        app.mount("/assets", StaticFiles(directory=ASSETS), name="assets")
        if self.static is not None:
            app.mount("/static", StaticFiles(directory=self.static), name="static")
