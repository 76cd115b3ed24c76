# ruff: noqa: RUF001 - Macedonian is written in Cyrillic: its letters that look Latin are letters here
"""Codes as the pages call them (shared.http.labels): every code a page shows has a label, and the
label is a catalogue message, so it reads in Macedonian and Albanian too."""

from __future__ import annotations

from enum import StrEnum

import pytest

from services.intake.http.pages import labels as intake_labels
from services.reporting.http import labels as reporting_labels
from shared.events.codes import Category, Vulnerability
from shared.http import i18n, labels
from shared.http.labels import label_message
from shared.http.pages import options
from tests.unit.test_catalogues import template_messages

PAGE_CODES: list[type[StrEnum]] = [
    *labels.PAGE_CODES,
    *intake_labels.PAGE_CODES,
    *reporting_labels.PAGE_CODES,
]


@pytest.mark.parametrize("enum", PAGE_CODES, ids=lambda e: e.__name__)
def test_every_code_a_page_shows_has_a_label_in_the_catalogues(enum: type[StrEnum]) -> None:
    assert {code.value for code in enum} - labels.labelled(enum) == set()
    assert {label_message(code) for code in enum} <= template_messages()


def test_a_label_reads_in_each_language() -> None:
    victim = label_message(Vulnerability.VICTIM_OF_TRAFFICKING)
    assert victim == "Victim of trafficking"
    assert i18n.gettext("mk", victim) == "Жртва на трговија со луѓе"
    assert i18n.gettext("sq", victim) == "Viktimë e trafikimit"
    # a code nobody labelled still reads as words, not as a key
    assert label_message("something_new") == "Something new"


def test_a_select_s_choices_are_catalogue_messages() -> None:
    choices = dict(options(Category))
    assert choices["micro_business"] == "Micro-business"
    assert isinstance(choices["micro_business"], labels.Msg)  # the macros translate it


def test_one_code_value_has_one_label() -> None:
    with pytest.raises(ValueError, match="labelled both"):
        labels.register({Category.TRANSPORT: "Transportation"})
