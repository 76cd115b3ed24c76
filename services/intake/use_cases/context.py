"""What intake's use cases are handed: the pool, the topic names, the reference data and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.intake.core.catalogue import Catalogue
from services.intake.core.matching import DEFAULT_THRESHOLD
from services.intake.core.validation import Checks
from shared.db import Pool
from shared.topics import Topics


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IntakeContext:
    pool: Pool
    topics: Topics
    catalogue: Catalogue
    clock: Callable[[], datetime] = field(default=_utc_now)
    # the score at and above which two people are shown as likely one (setting duplicate_threshold)
    duplicate_threshold: float = DEFAULT_THRESHOLD

    def checks(self, now: datetime) -> Checks:
        """What a request is validated against at `now`: the catalogue and that day."""
        return Checks(self.catalogue, now.date(), now)
