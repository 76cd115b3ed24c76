"""What reporting's use cases are handed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.db import Pool
from shared.settings import Settings
from shared.topics import Topics, TopicSpec


@dataclass(frozen=True)
class ReportingContext:
    pool: Pool
    topics: Topics
    settings: Settings
    # programme -> months after arrival its monitoring visits fall due (the donor policies)
    schedules: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def consumed(self) -> list[TopicSpec]:
        """The topics the read model is built from, in the order a rebuild reads them."""
        t = self.topics
        return [t.returnees, t.referral_status, t.grants_installments, t.ledger_checkpoints]
