"""The pages' language (shared.http.i18n): which one a request gets, and what a template shows in it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from shared.http import i18n
from shared.money import Money


@pytest.mark.parametrize(
    ("asked", "remembered", "accept", "chosen"),
    [
        ("sq", "mk", "en", "sq"),  # ?lang= first
        ("xx", "mk", "sq", "mk"),  # an unknown ?lang= is ignored; the user's remembered one next
        (None, None, "de-DE, sq;q=0.8, mk;q=0.9", "mk"),  # then the browser's, by weight
        (None, None, "mk-MK;q=0, sq-AL", "sq"),  # q=0 means "not this one"
        (None, None, "de, fr;q=0.5", "en"),  # then English
        (None, None, None, "en"),
    ],
)
def test_the_language_of_a_request(
    asked: str | None, remembered: str | None, accept: str | None, chosen: str
) -> None:
    assert i18n.choose_language(asked, remembered, accept) == chosen


def page(source: str, lang: str, **context: object) -> str:
    environment = Environment(loader=DictLoader({"page.html": source}), autoescape=True)
    i18n.install(environment)
    return environment.get_template("page.html").render(lang=lang, **context)


def test_one_environment_renders_each_language() -> None:
    source = (
        "{{ _('Sign in') }} · {% trans name='Ana', role='caseworker' %}"
        "Signed in as <strong>{{ name }}</strong> ({{ role }}){% endtrans %}"
    )
    assert page(source, "en") == "Sign in · Signed in as <strong>Ana</strong> (caseworker)"
    assert page(source, "mk") == "Најава · Најавени сте како <strong>Ana</strong> (caseworker)"
    assert page(source, "sq") == "Hyr · Keni hyrë si <strong>Ana</strong> (caseworker)"


def test_translated_text_is_still_escaped() -> None:
    assert page("{{ _('Case %(id)s', id=case) }}", "mk", case="<b>") == "Случај &lt;b&gt;"


def test_dates_and_money_in_each_locale() -> None:
    source = "{{ day | format_date }} | {{ amount | format_money }}"
    context = {"day": date(2026, 3, 9), "amount": Money(amount=123450, currency="EUR")}
    assert page(source, "en", **context) == "Mar 9, 2026 | €1,234.50"
    mk = page(source, "mk", **context)
    sq = page(source, "sq", **context)
    assert mk == "9 мар. 2026\u202fг. | 1.234,50\xa0€"  # noqa: RUF001 (the Cyrillic abbreviation of "year")
    assert sq == "9 mar 2026 | 1\xa0234,50\xa0€"


def test_a_fuzzy_entry_never_reaches_a_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "mk" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid "Sign in"\nmsgstr "Најава"\n\n#, fuzzy\nmsgid "Sign out"\nmsgstr "Одјава?"\n', "utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("mk").gettext("Sign in") == "Најава"
        assert i18n.translations("mk").gettext("Sign out") == "Sign out"
    finally:
        i18n.translations.cache_clear()
