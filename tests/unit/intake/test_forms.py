"""The caseworker page's forms: fields to request data, amounts to minor units, problems back to fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData, UploadFile

from services.intake.core.validation import Problem
from services.intake.http.pages import forms
from shared.events.codes import Category


def form(**fields: str | list[str]) -> FormData:
    items: list[tuple[str, str | UploadFile]] = []
    for key, value in fields.items():
        name = key.replace("__", "-")
        items += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return FormData(items)


def test_member_rows_follow_the_member_count() -> None:
    rows = forms.member_rows(form(member_count="2", members__0__name=" Ana ", members__1__sex="male"))
    assert [r["name"] for r in rows] == ["Ana", ""]
    assert rows[1]["sex"] == "male"
    assert len(forms.member_rows(form(member_count="999"))) == 20
    assert len(forms.member_rows(form(member_count="two"))) == 1


def test_empty_fields_are_missing_and_a_document_needs_both_parts() -> None:
    row = {"name": "Ana", "date_of_birth": "", "sex": "female", "relationship": "principal"}
    assert forms.member_data(row | {"identity_document-type": "", "identity_document-number": ""}) == {
        "name": "Ana",
        "sex": "female",
        "relationship": "principal",
    }
    assert forms.member_data(row | {"identity_document-type": "", "identity_document-number": "X1"})[
        "identity_document"
    ] == {"number": "X1"}


def test_registration_data_answers_every_consent_category() -> None:
    data = forms.registration_data(
        form(
            programme_id="NL-AVRR",
            needs=["housing", "medical"],
            consent__housing="yes",
            confirm_distinct_person="yes",
        ),
        [],
    )
    assert data["needs"] == ["housing", "medical"]
    # every category is answered, whether or not the form shows a box ticked for it
    assert data["consent"] == {c.value: c is Category.HOUSING for c in Category}
    assert {"vocational_training", "micro_business"} <= set(data["consent"])
    assert data["confirm_distinct_person"] is True
    assert "arrival_date" not in data


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("1500", "EUR", 150_000),
        ("1,500.50", "EUR", 150_050),
        ("0.01", "CHF", 1),
        ("12", "JPY", 12),
        ("1.234", "TND", 1234),
    ],
)
def test_amounts_become_minor_units(typed: str, currency: str, minor: int) -> None:
    assert forms.minor_units(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "message"),
    [("12.345", "EUR has 2 decimal places"), ("twelve", "enter an amount like"), ("NaN", "enter an amount")],
)
def test_amounts_that_are_not_amounts_are_refused(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        forms.minor_units(typed, "EUR")


@given(minor=st.integers(min_value=0, max_value=10**12))
def test_an_amount_shown_in_major_units_reads_back_exactly(minor: int) -> None:
    shown = str(Decimal(minor).scaleb(-2))
    assert forms.minor_units(shown, "EUR") == minor


def test_the_plan_form_keeps_which_line_is_which_type() -> None:
    plan = forms.plan_data(
        form(**{"amount-housing": "200", "amount-cash": "100", "amount-in_kind": "x", "note": " rent "}),
        "EUR",
    )
    assert plan.data == {
        "assistance": [
            {"assistance_type": "cash", "requested": {"amount": 10_000, "currency": "EUR"}},
            {"assistance_type": "housing", "requested": {"amount": 20_000, "currency": "EUR"}},
        ],
        "note": "rent",
    }
    assert [p.loc for p in plan.problems] == [("amount-in_kind",)]
    assert forms.field_name(("assistance", 1, "requested", "currency"), plan.lines) == "amount-housing"


@pytest.mark.parametrize(
    ("loc", "name"),
    [
        (("members", 1, "date_of_birth"), "members-1-date_of_birth"),
        (("members", 0, "identity_document", "number"), "members-0-identity_document-number"),
        (("members", 0, "identity_document"), "members-0-identity_document-number"),
        (("members",), "members"),
        (("vulnerabilities",), "vulnerabilities"),
        (("needs", 2), "needs"),
        (("consent", "housing"), "consent"),
        (("arrival_date",), "arrival_date"),
        ((), "form"),
    ],
)
def test_problems_land_beside_their_form_field(loc: tuple[str | int, ...], name: str) -> None:
    assert forms.field_name(loc) == name


def test_errors_are_grouped_by_field_and_labelled_for_the_summary() -> None:
    errors = forms.errors_by_field(
        [Problem(("needs", 0), "a"), Problem(("needs", 1), "b"), Problem(("x",), "c")]
    )
    assert errors == {"needs": ["a", "b"], "x": ["c"]}
    assert forms.field_label("members-1-date_of_birth") == "Member 2: Date of birth"
    assert forms.field_label("members-0-identity_document-number") == "Member 1: Document number"
    assert forms.field_label("amount-micro_business") == "Micro-business: amount"
    assert forms.field_label("sending_country") == "Sending country"
    assert forms.field_label("members-1-date_of_birth", "mk") == "Член 2: Датум на раѓање"
    assert forms.field_label("amount-housing", "sq") == "Strehim: shuma"
