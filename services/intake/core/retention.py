"""How long each programme keeps a closed case's personal data: `deploy/config/retention.yaml`,
validated when intake starts. A bad file stops the service with a `RetentionError` that names the
file and every field at fault; a programme without a period is refused too, since "no period"
would mean "keep forever".

    programmes:
      DE-STARTHILFEPLUS:
        days_after_closure: 1826   # five years after the case is closed

When a case's period is over (`due`), its personal data is erased (`privacy.erased`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from shared.data_files import DataFileProblems, parse_model, read_text

RETENTION_FILE = "retention.yaml"
LONGEST_DAYS = 100 * 366


class Period(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    days_after_closure: int = Field(ge=1, le=LONGEST_DAYS)


class Retention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    programmes: dict[str, Period] = Field(min_length=1)

    def period(self, programme_id: str) -> timedelta:
        return timedelta(days=self.programmes[programme_id].days_after_closure)

    def due(self, programme_id: str, closed_at: datetime, now: datetime) -> bool:
        """Is the personal data of a case of `programme_id` closed at `closed_at` to be erased at `now`?"""
        return closed_at + self.period(programme_id) <= now


class RetentionError(ValueError):
    """The retention file cannot be used; the message names the file and each field at fault."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_retention(path: Path, programme_ids: Collection[str]) -> Retention:
    """Parse and validate `path`: a period for every programme of `programme_ids`, and for no other."""
    try:
        retention = parse_model(Retention, read_text(path))
    except DataFileProblems as error:
        problems = error.problems
        if problems == ["the file is missing"]:
            problems = ["the file is missing: every programme needs a retention period"]
        raise RetentionError(path, problems) from None
    problems = [
        f"programmes.{p}: not a programme in donor-policies.yaml"
        for p in sorted(set(retention.programmes) - set(programme_ids))
    ]
    problems += [
        f"programmes.{p}: missing: every programme needs a retention period"
        for p in sorted(set(programme_ids) - set(retention.programmes))
    ]
    if problems:
        raise RetentionError(path, problems)
    return retention
