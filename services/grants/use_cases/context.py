"""What the grants use cases need from the running service, in one object they are handed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.grants.core.policies import DonorPolicies
from shared.db import Pool
from shared.topics import Topics

PRODUCER = "grants"
SYSTEM_ACTOR = "grants-service"  # recorded_by of postings the service makes on its own


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class GrantsContext:
    """The pool, the topics, the donor policies, and the service's idea of today (tests move it)."""

    pool: Pool
    topics: Topics
    policies: DonorPolicies
    today: Callable[[], date] = field(default=utc_today)
