"""Between HTML forms and intake's request models: form fields to the dicts the models validate,
and each problem's location back to the form field it belongs beside. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from services.intake.core.requests import MAX_MEMBERS
from services.intake.core.validation import Problem
from shared.events.codes import AssistanceType, Category
from shared.http import i18n
from shared.http.i18n import N_
from shared.http.labels import Msg, label_message
from shared.money import MINOR_UNITS

MEMBER_FIELDS = (
    "name",
    "date_of_birth",
    "sex",
    "relationship",
    "identity_document-type",
    "identity_document-number",
)
LIST_FIELDS = {
    "vulnerabilities",
    "needs",
    "consent",
    "skills",
    "work_history",
    "training_wanted",
    "assistance",
}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _put(data: dict[str, Any], key: str, value: str) -> None:
    if value:  # an empty field is a missing one: "this field is required"
        data[key] = value


def member_rows(form: FormData) -> list[dict[str, str]]:
    """The raw member rows of a registration form, as typed."""
    try:
        count = int(text(form, "member_count") or "1")
    except ValueError:
        count = 1
    count = max(1, min(count, MAX_MEMBERS))
    return [{f: text(form, f"members-{i}-{f}") for f in MEMBER_FIELDS} for i in range(count)]


def member_data(row: Mapping[str, str]) -> dict[str, Any]:
    member: dict[str, Any] = {}
    for key in ("name", "date_of_birth", "sex", "relationship"):
        _put(member, key, row.get(key, ""))
    document_type, number = row.get("identity_document-type", ""), row.get("identity_document-number", "")
    if document_type or number:
        document: dict[str, Any] = {}
        _put(document, "type", document_type)
        _put(document, "number", number)
        member["identity_document"] = document
    return member


def registration_data(form: FormData, members: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {"members": [member_data(row) for row in members]}
    for key in ("programme_id", "country_of_return", "municipality", "sending_country", "arrival_date"):
        _put(data, key, text(form, key))
    data["vulnerabilities"] = form.getlist("vulnerabilities")
    data["needs"] = form.getlist("needs")
    data["consent"] = consent_data(form)
    data["confirm_distinct_person"] = text(form, "confirm_distinct_person") == "yes"
    return data


def consent_data(form: FormData) -> dict[str, bool]:
    """Every category is answered: a box left unticked is consent not given."""
    return {c.value: text(form, f"consent-{c.value}") == "yes" for c in Category}


def assessment_data(form: FormData) -> dict[str, Any]:
    skills = [s.strip() for s in text(form, "skills").split(",") if s.strip()]
    data: dict[str, Any] = {
        "needs": form.getlist("needs"),
        "vulnerabilities": form.getlist("vulnerabilities"),
        "skills": skills,
        "training_wanted": [t.strip() for t in text(form, "training_wanted").split(",") if t.strip()],
    }
    _put(data, "business_sector", text(form, "business_sector"))
    _put(data, "business_plan_stage", text(form, "business_plan_stage"))
    _put(data, "urgency", text(form, "urgency"))
    _put(data, "urgency_reason", text(form, "urgency_reason"))
    return data


class AmountInvalid(ValueError):
    """Not an amount: `message` (a catalogue message) with its `variables`, for the page's language."""

    def __init__(self, message: str, **variables: object) -> None:
        self.message, self.variables = message, variables
        super().__init__(message % variables if variables else message)

    def translated(self, lang: str) -> str:
        return i18n.gettext(lang, self.message, **self.variables)


def minor_units(amount: str, currency: str) -> int:
    """ "1500" or "1500.50" in `currency` as integer minor units; AmountInvalid (a ValueError) when
    it is not an amount that currency can hold."""
    exponent = MINOR_UNITS.get(currency, 2)
    try:
        value = Decimal(amount.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise AmountInvalid(
            N_("enter an amount like 1500 or %(example)s"), example=f"1500.{'5' * exponent}"
        ) from None
    if not value.is_finite():
        raise AmountInvalid(N_("enter an amount"))
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise AmountInvalid(
            N_("%(currency)s has %(places)s decimal places"), currency=currency, places=exponent
        )
    return int(scaled)


@dataclass
class PlanForm:
    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    # position in data["assistance"] -> the assistance type's form field
    lines: list[AssistanceType] = field(default_factory=list)


def plan_data(form: FormData, currency: str, lang: str = i18n.DEFAULT_LANGUAGE) -> PlanForm:
    """One amount field per assistance type (`amount-<type>`); blank ones are not requested. An
    amount's problem is told in `lang`."""
    plan = PlanForm(data={"assistance": []})
    for assistance_type in AssistanceType:
        raw = text(form, f"amount-{assistance_type.value}")
        if not raw:
            continue
        try:
            amount = minor_units(raw, currency)
        except AmountInvalid as error:
            plan.problems.append(Problem((f"amount-{assistance_type.value}",), error.translated(lang)))
            continue
        plan.lines.append(assistance_type)
        plan.data["assistance"].append(
            {"assistance_type": assistance_type.value, "requested": {"amount": amount, "currency": currency}}
        )
    if text(form, "note"):
        plan.data["note"] = text(form, "note")
    return plan


def field_name(loc: Sequence[str | int], plan_lines: Sequence[AssistanceType] = ()) -> str:
    """The form field a problem belongs beside: `members.1.date_of_birth` -> `members-1-date_of_birth`,
    `vulnerabilities.2` -> `vulnerabilities`, a plan line -> `amount-<type>`."""
    if not loc:
        return "form"
    head = str(loc[0])
    if head == "assistance" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(plan_lines):
        return f"amount-{plan_lines[loc[1]].value}"
    if head in LIST_FIELDS:
        return head
    if head == "members" and len(loc) > 1 and isinstance(loc[1], int):
        tail = [str(p) for p in loc[2:4]]
        if tail == ["identity_document"]:
            tail = ["identity_document", "number"]
        return "-".join(["members", str(loc[1]), *tail])
    return "-".join(str(p) for p in loc)


def errors_by_field(
    problems: Sequence[Problem], plan_lines: Sequence[AssistanceType] = ()
) -> dict[str, list[str]]:
    """Each field's messages, as catalogue messages: the page shows those the catalogue has (the
    rules' constant ones, `labels.RULE_MESSAGES`) in its language, the others as written."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(field_name(problem.loc, plan_lines), []).append(Msg(problem.message))
    return errors


# what the forms call their fields (the same messages as the templates' labels)
FIELD_LABELS = {
    "programme_id": N_("Donor programme"),
    "country_of_return": N_("Country of return"),
    "municipality": N_("Destination municipality"),
    "sending_country": N_("Sending country"),
    "arrival_date": N_("Arrival date"),
    "members": N_("Household members"),
    "vulnerabilities": N_("Vulnerabilities"),
    "needs": N_("Needs"),
    "consent": N_("Consent to share with partners"),
    "skills": N_("Skills"),
    "training_wanted": N_("Training wanted"),
    "business_sector": N_("Business sector"),
    "business_plan_stage": N_("Business plan stage"),
    "urgency": N_("Urgency"),
    "urgency_reason": N_("Why high or urgent"),
    "reason": N_("Reason"),
    "close-note": N_("Note"),
    "note": N_("Note"),
    "assistance": N_("Assistance"),
    "met_by": N_("Met by"),
    "arrived_at": N_("Arrived at (local time)"),
    "not_travelled": N_("Who travelled"),
    "name": N_("Full name"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "relationship": N_("Relationship to the principal applicant"),
    "identity_document": N_("Document number"),
    "identity_document-number": N_("Document number"),
    "identity_document-type": N_("Identity document"),
}


def field_label(name: str, lang: str = i18n.DEFAULT_LANGUAGE) -> str:
    """What the error summary calls a field, in `lang`: `members-1-date_of_birth` -> `Member 2:
    Date of birth`, `amount-housing` -> `Housing: amount`."""
    parts = name.split("-")
    if parts[0] == "members" and len(parts) > 2 and parts[1].isdigit():
        tail = "-".join(parts[2:])
        what = i18n.gettext(lang, FIELD_LABELS.get(tail, tail.replace("_", " ")))
        return i18n.gettext(lang, N_("Member %(number)s: %(field)s"), number=int(parts[1]) + 1, field=what)
    if parts[0] == "amount" and len(parts) > 1:
        assistance = i18n.gettext(lang, label_message("-".join(parts[1:])))
        return i18n.gettext(lang, N_("%(assistance)s: amount"), assistance=assistance)
    if name in FIELD_LABELS:
        return i18n.gettext(lang, FIELD_LABELS[name])
    text = " ".join(parts).replace("_", " ")
    return text[:1].upper() + text[1:]
