"""What a sending mission or a caseworker sends about an announced return: the announcement, a
changed flight, a cancellation, and (reception) the arrival's confirmation. Read like every other
request (`requests.py`): unknown fields refused, strict formats, all field problems at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import Field, ValidationInfo
from pydantic import field_validator as validates
from pydantic_core import PydanticCustomError

from services.intake.core.catalogue import Catalogue
from services.intake.core.formats import JSON_INTEGER, IsoInstant, JsonBool, TypedText, text_pattern
from services.intake.core.requests import Household, Input, Needs, Note, Vulnerabilities
from services.intake.core.rules import household_problems, vulnerability_problems
from services.intake.core.validation import Problem, checks_of
from shared.events.codes import (
    ArrivalCancellationReason,
    ArrivalMetBy,
    ArrivalMode,
    Category,
    SpecialAssistance,
)

# how far ahead a return may be announced
ANNOUNCE_AHEAD_DAYS = 366

Carrier = Annotated[str, TypedText(text_pattern(1, 80), "1 to 80 characters, without control characters")]
TripNumber = Annotated[
    str,
    TypedText(
        text_pattern(2, 20, inner="[A-Za-z0-9 -]", edge="[A-Za-z0-9]"),
        "2 to 20 letters, digits, spaces or -, e.g. W6 4321",
        upper=True,
    ),
]
Position = Annotated[int, Field(ge=0, le=19), JSON_INTEGER]


def _rule(message: str) -> PydanticCustomError:
    return PydanticCustomError("rule", message)


class Trip(Input):
    """The flight or crossing: carrier, number, arrival point and scheduled time."""

    mode: ArrivalMode
    carrier: Carrier
    number: TripNumber
    arrival_point: str
    scheduled_at: IsoInstant
    special_assistance: list[SpecialAssistance] = Field(default=[], max_length=len(SpecialAssistance))

    @validates("arrival_point")
    @classmethod
    def _known_point(cls, value: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        if checks and value not in checks.catalogue.arrival_points:
            known = ", ".join(checks.catalogue.arrival_points) or "none"
            raise _rule(f"unknown arrival point {value!r}; one of: {known}")
        return value

    @validates("scheduled_at")
    @classmethod
    def _ahead(cls, value: datetime, info: ValidationInfo) -> datetime:
        checks = checks_of(info)
        if checks and checks.now is not None:
            if value <= checks.now:
                raise _rule(
                    "the scheduled arrival must be in the future: register a returnee who has arrived"
                )
            if value > checks.now + timedelta(days=ANNOUNCE_AHEAD_DAYS):
                raise _rule(f"a return is announced at most {ANNOUNCE_AHEAD_DAYS} days ahead")
        return value

    @validates("special_assistance")
    @classmethod
    def _once_each(cls, value: list[SpecialAssistance]) -> list[SpecialAssistance]:
        return [a for a in SpecialAssistance if a in value]


class Announcement(Household, Trip):
    """`POST /v1/arrivals`: an expected return. The consent given here (per category, e.g. for
    airport reception and transport) is recorded as given by the announcing user, now."""

    vulnerabilities: Vulnerabilities = []
    needs: Needs = []
    consent: dict[Category, JsonBool] = {}
    # the announcer has checked that a likely duplicate is a different person
    confirm_distinct_person: JsonBool = False


class Reschedule(Trip):
    """`POST /v1/arrivals/{id}/reschedule`: the new flight or crossing, in full."""


class ArrivalCancellationRequest(Input):
    """`POST /v1/arrivals/{id}/cancel`: the return will not happen."""

    reason: ArrivalCancellationReason
    note: Note | None = None


class ArrivalConfirmationRequest(Input):
    """`POST /v1/arrivals/{id}/confirm` (reception): the family arrived. `not_travelled` lists the
    positions (0-based, as the announcement listed them) of members who did not travel."""

    arrived_at: IsoInstant
    met_by: ArrivalMetBy
    not_travelled: list[Position] = Field(default=[], max_length=19)

    @validates("arrived_at")
    @classmethod
    def _not_ahead(cls, value: datetime, info: ValidationInfo) -> datetime:
        checks = checks_of(info)
        if checks and checks.now is not None and value > checks.now + timedelta(minutes=5):
            raise _rule("the arrival time cannot be in the future")
        return value


def announcement_problems(announcement: Announcement, today: date, catalogue: Catalogue) -> list[Problem]:
    """The household's rules (as a registration's), and an arrival point in the country of return."""
    problems = household_problems(announcement.members, today)
    if not problems:
        problems.extend(vulnerability_problems(announcement.members, announcement.vulnerabilities, today))
    return [*problems, *trip_problems(announcement, announcement.country_of_return, catalogue)]


def trip_problems(trip: Trip, country: str, catalogue: Catalogue | None = None) -> list[Problem]:
    point = catalogue.arrival_points.get(trip.arrival_point) if catalogue else None
    if point is not None and point.country != country:
        return [
            Problem(("arrival_point",), f"{trip.arrival_point} is not in {country}, the country of return")
        ]
    return []


def confirmation_problems(confirmation: ArrivalConfirmationRequest, members: int) -> list[Problem]:
    problems = [
        Problem(
            ("not_travelled", i), f"the announcement lists {members} member(s): positions 0 to {members - 1}"
        )
        for i, position in enumerate(confirmation.not_travelled)
        if position >= members
    ]
    if not problems and len(set(confirmation.not_travelled)) >= members:
        problems.append(Problem(("not_travelled",), "somebody travelled: otherwise cancel the arrival"))
    return problems
