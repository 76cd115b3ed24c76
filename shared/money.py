"""Money as integer minor units plus an ISO 4217 currency. Floats are refused, never rounded."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictInt, field_validator

# ISO 4217 codes Homeward's donors and countries of return use, with their minor-unit exponent.
MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "CHF": 2,
    "USD": 2,
    "GBP": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "CAD": 2,
    "AUD": 2,
    "MKD": 2,
    "ALL": 2,
    "RSD": 2,
    "BAM": 2,
    "TRY": 2,
    "GEL": 2,
    "UAH": 2,
    "MDL": 2,
    "AMD": 2,
    "AFN": 2,
    "PKR": 2,
    "NGN": 2,
    "GHS": 2,
    "MAD": 2,
    "TND": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "JPY": 0,
    "XOF": 0,
    "XAF": 0,
    "GNF": 0,
    "IRR": 2,
}


class CurrencyMismatch(ValueError):
    pass


def _reject_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("money amounts are integer minor units; a float is refused")
    return value


MinorUnits = Annotated[StrictInt, BeforeValidator(_reject_float)]


class Money(BaseModel):
    """`Money(amount=12345, currency="EUR")` is EUR 123.45."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: MinorUnits
    currency: str

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        if code not in MINOR_UNITS:
            raise ValueError(f"unknown ISO 4217 currency {code!r}")
        return code

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount=0, currency=currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not add up")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def times(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("money multiplies by whole numbers only")
        return Money(amount=self.amount * factor, currency=self.currency)

    def split(self, weights: list[int]) -> list[Money]:
        """Divide by integer weights, exactly: the rounding remainder goes to the last part."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative with a positive sum")
        total = sum(weights)
        parts = [self.amount * w // total for w in weights]
        parts[-1] += self.amount - sum(parts)
        return [Money(amount=p, currency=self.currency) for p in parts]

    def __str__(self) -> str:
        exponent = MINOR_UNITS[self.currency]
        sign = "-" if self.amount < 0 else ""
        whole, minor = divmod(abs(self.amount), 10**exponent)
        return f"{self.currency} {sign}{whole}" + (f".{minor:0{exponent}d}" if exponent else "")
