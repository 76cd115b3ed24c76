"""Donor policies as data: `deploy/config/donor-policies.yaml`, validated at start-up.

Amounts are written in the currency's major unit as quoted text ("1000.00"): a bare YAML number
is refused, so no amount is ever a float and none is ambiguous between major and minor units.
`Programme.money()` turns one into integer minor units.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from shared.data_files import DataFileProblems, parse_model, read_text
from shared.events.codes import AssistanceType, Category, Milestone, Vulnerability, category_of
from shared.money import MINOR_UNITS, Money

POLICY_FILE = "donor-policies.yaml"
PROGRAMME_ID = r"[A-Z0-9][A-Z0-9-]{1,40}"  # a programme id, as a regular expression
_AMOUNT_TEXT = re.compile(r"^\d{1,12}(\.\d{1,4})?$")


def _amount_from_text(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not _AMOUNT_TEXT.match(value.strip()):
        raise ValueError(
            f"write an amount as quoted text in major units, e.g. '1000.00' (got {value!r}); "
            "a bare number is refused so that no amount is a float"
        )
    try:
        return Decimal(value.strip())
    except InvalidOperation as error:  # pragma: no cover - the pattern already guards it
        raise ValueError(f"not an amount: {value!r}") from error


Amount = Annotated[Decimal, BeforeValidator(_amount_from_text)]


class PaidTo(StrEnum):
    """Who receives an assistance type's money: the returnee, or a supplier against an invoice."""

    RETURNEE = "returnee"
    SUPPLIER = "supplier"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InstallmentPart(_Strict):
    """One part of an installment plan: `share` percent of the amount, due at `milestone`, on its
    terms: `days` after arrival; the `visit`-th monitoring visit (scoring at least `min_composite`,
    when given); the completion of a referral of `category`."""

    share: int = Field(gt=0, le=100)
    milestone: Milestone
    days: int | None = Field(default=None, ge=0, le=3650)
    visit: int | None = Field(default=None, ge=1, le=24)
    min_composite: Decimal | None = Field(default=None, ge=0, le=1, decimal_places=4)
    category: Category | None = None

    @model_validator(mode="after")
    def _terms_only_for_their_milestone(self) -> Self:
        needs = {
            "days": Milestone.DAYS_AFTER_ARRIVAL,
            "visit": Milestone.MONITORING_VISIT,
            "category": Milestone.REFERRAL_COMPLETED,
        }
        for term, milestone in needs.items():
            given = getattr(self, term) is not None
            if self.milestone is milestone and not given:
                raise ValueError(f"a {milestone.value} part needs `{term}`")
            if self.milestone is not milestone and given:
                raise ValueError(f"`{term}` only goes with {milestone.value}, not {self.milestone.value}")
        if self.min_composite is not None and self.milestone is not Milestone.MONITORING_VISIT:
            raise ValueError(f"`min_composite` only goes with monitoring_visit, not {self.milestone.value}")
        return self


class MonitoringSchedule(_Strict):
    """When a programme's returnees are visited: months after arrival (intake lists the visits due);
    a visit is listed from `window_days` before its date and overdue `window_days` after it."""

    visits_after_months: Annotated[list[int], Field(min_length=1, max_length=24)]
    window_days: int = Field(default=30, ge=0, le=180)

    @model_validator(mode="after")
    def _increasing(self) -> Self:
        months = self.visits_after_months
        if any(m < 1 for m in months) or any(b <= a for a, b in pairwise(months)):
            raise ValueError("visits_after_months: whole months after arrival, at least 1, increasing")
        return self


def _check_plan(parts: list[InstallmentPart]) -> list[InstallmentPart]:
    if not parts:
        raise ValueError("an installment plan needs at least one part")
    total = sum(p.share for p in parts)
    if total != 100:
        raise ValueError(f"installment shares must add up to 100, not {total}")
    return parts


def _known_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"unknown ISO 4217 currency {code!r}")
    return code


InstallmentPlan = Annotated[list[InstallmentPart], AfterValidator(_check_plan)]


class AssistanceRule(_Strict):
    """What a programme does with one assistance type it funds."""

    paid_to: PaidTo = PaidTo.RETURNEE
    max: Amount | None = None  # per grant, for this type
    # funded up to `max` on top of the per-person ceiling (e.g. a micro-business project budget)
    beyond_ceiling: bool = False
    installments: InstallmentPlan | None = None  # its own plan instead of the programme's
    # funded only for a case assessed as needing the referral category this type pays for
    # (shared.events.codes.CATEGORY_ASSISTANCE: vocational_training for vocational_training, ...)
    requires_need: bool = False

    @model_validator(mode="after")
    def _beyond_needs_a_max(self) -> Self:
        if self.beyond_ceiling and self.max is None:
            raise ValueError("an assistance type funded beyond the ceiling needs its own `max`")
        return self

    def beyond_ceiling_max(self) -> Decimal:
        """What this type adds to the grant ceiling: its `max` when it is funded beyond the
        ceiling (the model makes sure it has one), nothing otherwise."""
        if self.beyond_ceiling and self.max is not None:
            return self.max
        return Decimal(0)


class Ceilings(_Strict):
    per_adult: Amount
    per_child: Amount
    # once per household on top of the per-person amounts (e.g. more for the head of household)
    per_household: Amount = Decimal(0)
    child_age_limit: int = Field(ge=1, le=18)  # a member younger than this counts as a child
    household_supplement: Amount = Decimal(0)
    household_supplement_above: int | None = Field(default=None, ge=1)  # for households larger than this
    # the most the per-person amounts and the household supplement come to for one household (a
    # family ceiling); a vulnerability supplement still comes on top
    household_max: Amount | None = None

    @model_validator(mode="after")
    def _supplement_has_a_threshold(self) -> Self:
        if self.household_supplement > 0 and self.household_supplement_above is None:
            raise ValueError("a household_supplement needs household_supplement_above")
        return self


class CashPerPerson(_Strict):
    """A cash cap that grows with the household (e.g. a return premium per adult and per child),
    children counted by the programme's `child_age_limit`."""

    per_adult: Amount
    per_child: Amount


class VulnerableExceptions(_Strict):
    """How a programme treats returnees with one of `applies_to`."""

    applies_to: Annotated[list[Vulnerability], Field(min_length=1)]
    supplement: Amount = Decimal(0)  # raises the ceiling, once per household
    # parts that wait N days after arrival fall due on approval instead (a business plan still
    # has to be verified: that is a condition, not a wait)
    advance_waiting_parts: bool = False


class Programme(_Strict):
    id: str = Field(pattern=f"^{PROGRAMME_ID}$")
    name: str = Field(min_length=1)
    donor: str = Field(min_length=1)
    currency: Annotated[str, AfterValidator(_known_currency)]
    ceilings: Ceilings
    funds: Annotated[dict[AssistanceType, AssistanceRule], Field(min_length=1)]
    cash_cap: Amount | None = None
    cash_per_person: CashPerPerson | None = None  # with cash_cap too, the lower of the two applies
    installments: InstallmentPlan
    vulnerable: VulnerableExceptions | None = None
    monitoring: MonitoringSchedule | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.cash_cap is not None and AssistanceType.CASH not in self.funds:
            raise ValueError("cash_cap is set but the programme does not fund cash")
        if self.cash_per_person is not None and AssistanceType.CASH not in self.funds:
            raise ValueError("cash_per_person is set but the programme does not fund cash")
        for assistance_type, rule in self.funds.items():
            if rule.requires_need and category_of(assistance_type) is None:
                raise ValueError(
                    f"funds.{assistance_type.value}.requires_need: {assistance_type.value} pays for no"
                    " referral category, so no need can be required for it"
                )
        self._check_visits()
        for where, amount in self._amounts():
            self._check_precision(where, amount)
        return self

    def _check_visits(self) -> None:
        """A part that waits for the Nth monitoring visit needs a schedule with N visits."""
        scheduled = len(self.monitoring.visits_after_months) if self.monitoring else 0
        plans = [("installments", self.installments)]
        plans += [
            (f"funds.{t.value}.installments", r.installments) for t, r in self.funds.items() if r.installments
        ]
        for where, parts in plans:
            for part in parts:
                if part.visit is not None and part.visit > scheduled:
                    raise ValueError(
                        f"{where}: a part waits for monitoring visit {part.visit}, but the programme's "
                        f"monitoring schedule has {scheduled} visit(s)"
                    )

    def _amounts(self) -> list[tuple[str, Decimal]]:
        found = [
            ("ceilings.per_adult", self.ceilings.per_adult),
            ("ceilings.per_child", self.ceilings.per_child),
            ("ceilings.per_household", self.ceilings.per_household),
            ("ceilings.household_supplement", self.ceilings.household_supplement),
        ]
        if self.ceilings.household_max is not None:
            found.append(("ceilings.household_max", self.ceilings.household_max))
        if self.cash_cap is not None:
            found.append(("cash_cap", self.cash_cap))
        if self.cash_per_person is not None:
            found.append(("cash_per_person.per_adult", self.cash_per_person.per_adult))
            found.append(("cash_per_person.per_child", self.cash_per_person.per_child))
        if self.vulnerable is not None:
            found.append(("vulnerable.supplement", self.vulnerable.supplement))
        found += [(f"funds.{t.value}.max", r.max) for t, r in self.funds.items() if r.max is not None]
        return found

    def _check_precision(self, where: str, amount: Decimal) -> None:
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MINOR_UNITS[self.currency]:
            raise ValueError(f"{where}: {amount} has more decimals than {self.currency} has minor units")

    def money(self, amount: Decimal) -> Money:
        """`amount` (major units, already checked for precision) as Money in minor units."""
        return Money(amount=int(amount.scaleb(MINOR_UNITS[self.currency])), currency=self.currency)

    def plan_for(self, assistance_type: AssistanceType) -> list[InstallmentPart]:
        rule = self.funds.get(assistance_type)
        return rule.installments if rule is not None and rule.installments else self.installments


class UnknownProgramme(LookupError):
    pass


def _country_code(value: Any) -> Any:
    if isinstance(value, bool):  # YAML 1.1 reads a bare NO (Norway), or Y and N, as a boolean
        raise ValueError(f'quote the country code: YAML read it as {str(value).lower()} (write "NO")')
    return value


SendingCountry = Annotated[str, BeforeValidator(_country_code), Field(pattern=r"^[A-Z]{2}$")]


class DonorPolicies(_Strict):
    programmes: Annotated[list[Programme], Field(min_length=1)]
    # sending country (ISO 3166-1 alpha-2) -> the programme a return from there belongs to when a
    # registration or an announcement names none (intake reads it; both services validate it)
    sending_countries: dict[SendingCountry, str] = {}

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [p.id for p in self.programmes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"programme ids must be unique; repeated: {', '.join(duplicates)}")
        unknown = {c: p for c, p in self.sending_countries.items() if p not in ids}
        if unknown:
            named = ", ".join(f"{c}: {p}" for c, p in sorted(unknown.items()))
            raise ValueError(f"sending_countries: not a programme in this file: {named}")
        return self

    def programme(self, programme_id: str) -> Programme:
        for programme in self.programmes:
            if programme.id == programme_id:
                return programme
        raise UnknownProgramme(f"no donor programme {programme_id!r} in the policy file")


class PolicyFileError(ValueError):
    """The policy file is missing, not YAML, or breaks the model; the message names the field."""


def parse_policies(text: str, source: str = POLICY_FILE) -> DonorPolicies:
    try:
        return parse_model(DonorPolicies, text)
    except DataFileProblems as error:
        raise PolicyFileError(f"{source}: {error}") from error


def load_policies(path: Path) -> DonorPolicies:
    try:
        return parse_policies(read_text(path), str(path))
    except DataFileProblems as error:
        raise PolicyFileError(f"{path}: {error}") from error
