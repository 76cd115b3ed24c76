"""`ReferralContext`: what every referral use case is handed — the partner directory, the topic
names of this deployment, and the clock (tests pass their own)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.referral.core.directory import Directory
from shared.topics import Topics


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReferralContext:
    directory: Directory
    topics: Topics
    clock: Callable[[], datetime] = field(default=utc_now)
