"""Waiting for, and reading, what the service under test published."""

from __future__ import annotations

from shared.events import Vulnerability
from tests.support import eventually

from .conftest import RunningReferral
from .recorder import Seen

VULNERABILITY_CODES = [v.value for v in Vulnerability]


async def published(
    referral: RunningReferral, *, key: object, type: str | None, count: int, topic: str = "*"
) -> list[Seen]:
    """Wait until `count` records of `type` (None: any) for case `key` were published; return them."""

    async def enough() -> list[Seen]:
        found = referral.recorder.find(topic=topic, key=key, type=type)
        return found if len(found) >= count else []

    return await eventually(enough, timeout=15, what=f"{count} {type or 'records'} for case {key} on {topic}")


async def dead_letters(referral: RunningReferral, topic: str, key: object, count: int) -> list[Seen]:
    async def enough() -> list[Seen]:
        found = referral.recorder.find(topic=f"{topic}.dlq", key=key)
        return found if len(found) >= count else []

    return await eventually(enough, timeout=15, what=f"{count} dead letters on {topic}.dlq")


def statuses(referral: RunningReferral, case_id: object) -> list[tuple[str, str]]:
    """(category, status) of every ReferralStatusChanged for the case, in publication order."""
    return [
        (s.data["category"], s.data["status"])
        for s in referral.recorder.find(topic="referral.status.v1", key=case_id, type="ReferralStatusChanged")
    ]
