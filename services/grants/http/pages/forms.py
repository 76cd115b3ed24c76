"""Reading the grants pages' forms: amounts typed in major units, references, and the messages a
field shows (catalogue messages, translated where the page's language is known)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from starlette.datastructures import FormData

from services.grants.core.rules import is_reference
from shared.http.i18n import N_
from shared.money import MINOR_UNITS

ENTER_AN_AMOUNT = N_("Enter an amount, like 1500 or 1500.50")
POSITIVE_AMOUNT = N_("Enter an amount above zero")
REFERENCE_RULE = N_("1 to 64 letters, digits and . / : _ - (no spaces): a reference, never a name")
CHOOSE = N_("Choose one")


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def minor_units(amount: str, currency: str) -> int:
    """`1500.50` EUR -> 150050; ValueError (with a catalogue message) for anything else, including
    more decimals than the currency has."""
    exponent = MINOR_UNITS[currency]
    try:
        value = Decimal(amount.replace(" ", "").replace(",", ""))
    except InvalidOperation:
        raise ValueError(ENTER_AN_AMOUNT) from None
    if not value.is_finite():
        raise ValueError(ENTER_AN_AMOUNT)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(ENTER_AN_AMOUNT)
    if minor <= 0:
        raise ValueError(POSITIVE_AMOUNT)
    return int(minor)


def reference_problem(value: str, *, required: bool = True) -> str | None:
    """The message for a reference field, or None when it is acceptable."""
    if not value:
        return REFERENCE_RULE if required else None
    return None if is_reference(value) else REFERENCE_RULE
