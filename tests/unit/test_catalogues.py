"""The pages' catalogues (shared/locale) against the templates: every string a template marks for
translation is in each language's .po with a reviewed translation — not missing, not empty, not
fuzzy (fuzzy entries are left out when the catalogue is compiled, so the page would show English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from shared.http.i18n import LANGUAGES, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**/http/**.py", "python"), ("*.py", "python")]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def template_messages() -> set[str]:
    """The pages' messages (templates, and Python's N_), extracted in memory as `make messages`
    extracts them to the .pot."""
    found: set[str] = set()
    for folder in (ROOT / "services", ROOT / "shared" / "http"):
        for _, _, message, _, _ in extract_from_dir(folder, METHOD_MAP, keywords=KEYWORDS):
            # a plural message is kept under its singular (the catalogue's key for it)
            found.add(message if isinstance(message, str) else message[0])
    return found


def untranslated(catalog: Catalog, wanted: set[str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {"missing": [], "empty": [], "fuzzy": []}
    for message_id in sorted(wanted):
        entry = catalog.get(message_id)
        if entry is None:
            problems["missing"].append(message_id)
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems["empty"].append(message_id)  # a plural with any form missing too
        elif entry.fuzzy:
            problems["fuzzy"].append(message_id)
    return {kind: ids for kind, ids in problems.items() if ids}


def test_the_templates_have_strings_to_translate() -> None:
    # the extraction itself works (an empty set would let every language pass)
    assert {
        "Sign in",
        "Cases",
        "Skip to main content",
        "Programme reports",
        "Not allowed",
    } <= template_messages()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_template_string_is_translated(language: str) -> None:
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    assert untranslated(catalog, template_messages()) == {}


def test_a_missing_empty_or_fuzzy_entry_is_caught() -> None:
    catalog = Catalog(locale="mk")
    catalog.add("Sign in", "")
    catalog.add("Cases", "Случаи", flags=["fuzzy"])
    assert untranslated(catalog, {"Sign in", "Cases", "Sign out"}) == {
        "missing": ["Sign out"],
        "empty": ["Sign in"],
        "fuzzy": ["Cases"],
    }
