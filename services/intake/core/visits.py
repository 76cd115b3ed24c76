"""Monitoring visits: when they fall due (each programme's schedule, from the donor policies), what
a caseworker reports at one, and what intake keeps of it. Pure.

A programme's `monitoring.visits_after_months` (e.g. 3, 6, 12) dates its visits from the arrival:
the next visit (the first not yet recorded) is listed from `window_days` before its date and is
overdue `window_days` after it. A visit answers the schedule by its number: the first visit
recorded answers month 3, the second month 6, and so on; visits beyond the schedule answer none.
A case that is closed, erased or whose returnee was found re-migrated has no visit due.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic import field_validator as validates
from pydantic_core import PydanticCustomError

from services.intake.core.formats import IsoDate, JsonBool
from services.intake.core.monitoring import MonitoringSchedule
from services.intake.core.validation import checks_of
from shared.events.codes import Dimension


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DueVisit:
    case_id: UUID
    programme_id: str
    visit_number: int
    month: int  # months after arrival
    due_on: date
    listed_from: date
    overdue_from: date  # overdue after this day

    def overdue(self, today: date) -> bool:
        return today > self.overdue_from


def next_visit(
    case_id: UUID,
    programme_id: str,
    arrival: date,
    schedule: MonitoringSchedule,
    recorded: int,
    today: date,
) -> DueVisit | None:
    """The case's next scheduled visit if it is listed by `today` (due or overdue), else None."""
    if recorded >= len(schedule.visits_after_months):
        return None
    month = schedule.visits_after_months[recorded]
    due_on = add_months(arrival, month)
    window = timedelta(days=schedule.window_days)
    visit = DueVisit(case_id, programme_id, recorded + 1, month, due_on, due_on - window, due_on + window)
    return visit if today >= visit.listed_from else None


def scheduled_month(schedule: MonitoringSchedule | None, visit_number: int) -> int | None:
    if schedule is None or visit_number > len(schedule.visits_after_months):
        return None
    return schedule.visits_after_months[visit_number - 1]


def _rule(message: str) -> PydanticCustomError:
    return PydanticCustomError("rule", message)


class VisitReport(BaseModel):
    """What a caseworker reports from a visit: the date, an answer code per indicator of the survey
    (`GET /v1/monitoring/survey` lists them), and three findings. No free text: every field is a
    date, a code or a yes/no."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    visited_on: IsoDate
    answers: Annotated[dict[str, str], Field(min_length=1, max_length=60)]
    # none: the plan supported no business (or it was not seen)
    business_operating: JsonBool | None = None
    in_municipality: JsonBool
    re_migrated: JsonBool

    @validates("visited_on")
    @classmethod
    def _not_in_the_future(cls, value: date, info: ValidationInfo) -> date:
        checks = checks_of(info)
        if checks and value > checks.today:
            raise _rule("a visit is recorded once it took place: not in the future")
        return value

    @model_validator(mode="after")
    def _gone_is_not_here(self) -> Self:
        if self.re_migrated and self.in_municipality:
            raise ValueError("a returnee who re-migrated is not in the municipality")
        return self


@dataclass(frozen=True)
class MonitoringVisit:
    """A recorded visit as intake keeps it: codes and scores. Once the case is erased, the day of
    the visit goes (`visited_on` None) and its month stays, like the arrival's."""

    id: UUID
    case_id: UUID
    programme_id: str
    visit_number: int
    scheduled_month: int | None
    visited_on: date | None
    visited_month: str  # YYYY-MM
    survey: str
    answers: dict[str, str]
    indicator_scores: dict[str, float]
    dimension_scores: dict[Dimension, float]
    composite: float
    business_operating: bool | None
    in_municipality: bool
    re_migrated: bool
    recorded_by: UUID
    recorded_at: datetime
