"""The pages' three languages: English, Macedonian (Cyrillic) and Albanian.

Catalogues are gettext .po files under shared/locale/<lang>/LC_MESSAGES/messages.po, one domain for
every service's pages (they share their header, sign-in and error pieces). They are compiled in
memory when first used (Babel's read_po + write_mo), so there is no .mo file to build, check in or
let drift from its .po. `make messages` extracts the templates' strings and updates the catalogues.

A page's language: `?lang=` (remembered on the signed-in user, `shared.http.sessions`), else the
user's remembered language, else the browser's Accept-Language, else English. Templates use
Jinja2's i18n extension (`{% trans %}`, `_()`), resolved per request through the context's `lang`,
so one Environment serves every language at once. Dates and money go through Babel's CLDR formats.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as babel_format_currency
from babel.support import Translations
from fastapi import Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

from shared.money import MINOR_UNITS, Money

LANGUAGES: dict[str, str] = {"en": "English", "mk": "Македонски", "sq": "Shqip"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
# page pieces every service shares (the language switch), after the service's own templates
SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The language's catalogue, compiled from its .po in memory (fuzzy entries left out, as msgfmt
    does: an unreviewed guess never reaches a page)."""
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def supported(language: str | None) -> str | None:
    if language is None:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages in an Accept-Language header (RFC 9110 12.5.4: weights `q`, the
    order of equal weights kept); None if none is acceptable."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        code = supported(tag)
        if code is not None and weight > 0:
            ranked.append((-weight, position, code))
    return min(ranked)[2] if ranked else None


def choose_language(asked: str | None, remembered: str | None, accept_language: str | None) -> str:
    return (
        supported(asked) or supported(remembered) or from_accept_language(accept_language) or DEFAULT_LANGUAGE
    )


# The language of the page being drawn, for templates drawn without the page's context: a macro
# imported without `with context` (macros.html's `_("(optional)")`) sees no `lang` of its own.
# `Pages.render` sets it around the (synchronous) rendering of one page.
rendering_language: ContextVar[str] = ContextVar("rendering_language", default=DEFAULT_LANGUAGE)


def language_of(context: Context) -> str:
    """The language a template draws in: its context's `lang`, else the page being drawn's."""
    lang = context.get("lang")
    return lang if isinstance(lang, str) else rendering_language.get()


def N_(message: str) -> str:
    """Marks `message` for the catalogues (`make messages` extracts N_ from Python code) where it is
    written; it is translated later, where the page's language is known (`gettext`)."""
    return message


def gettext(language: str, message: str, **variables: Any) -> str:
    text = translations(language).gettext(message)
    return text % variables if variables else text


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(language_of(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(language_of(context)).ngettext(singular, plural, n)


@pass_context
def _format_date(context: Context, value: date | datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return babel_format_date(value, format=format, locale=language_of(context))


@pass_context
def _format_datetime(context: Context, value: datetime | None, format: str = "short") -> str:
    """An instant in the page's locale, in UTC (the pages say "UTC" beside it)."""
    if value is None:
        return ""
    lang = language_of(context)
    return babel_format_datetime(value, format=format, tzinfo=UTC, locale=lang)


@pass_context
def _format_money(context: Context, value: Money | None) -> str:
    """Money in the page's locale: `€1,234.50`, `1.234,50 €`, `1 234,50 €` (from integer minor
    units, exactly: the Decimal is built from the integer, never from a float)."""
    if value is None:
        return ""
    amount = Decimal(value.amount).scaleb(-MINOR_UNITS[value.currency])
    return babel_format_currency(amount, value.currency, locale=language_of(context))


def install(environment: Environment) -> None:
    """Jinja2's i18n extension on `environment`, translating per request by the context's `lang`."""
    environment.add_extension("jinja2.ext.i18n")
    own = environment.loader
    environment.loader = ChoiceLoader([*([own] if own else []), FileSystemLoader(SHARED_TEMPLATES)])
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["format_date"] = _format_date
    environment.filters["format_datetime"] = _format_datetime
    environment.filters["format_money"] = _format_money
    environment.globals["languages"] = LANGUAGES


def language_context(request: Request, remembered: str | None) -> dict[str, Any]:
    """What every page's template needs: its `lang`, and the switch's link to this page in each
    language (the page's other query parameters kept)."""
    lang = choose_language(
        request.query_params.get("lang"), remembered, request.headers.get("accept-language")
    )
    links = {}
    for code in LANGUAGES:
        url = request.url.include_query_params(lang=code)
        links[code] = f"{url.path}?{url.query}"
    return {"lang": lang, "language_links": links}
