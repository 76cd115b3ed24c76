"""Intake's refusals. The HTTP layer maps each to a problem type (`http/api/problems.py`); the
caseworker page shows them beside the form; a consumer dead-letters only a `Poison`."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.poison import Poison


class CaseNotFound(LookupError):
    """No such case, or one outside the user's programmes (its existence is not revealed)."""


class CaseConflict(Exception):
    """The case's state does not allow this (it is closed, the plan is approved...)."""


class DutiesNotSeparated(CaseConflict):
    """Separation of duties: the supervisor who proposed a plan may not approve it."""


@dataclass(frozen=True)
class LikelyDuplicate:
    member: int  # position in the new registration
    case_id: UUID


class DuplicateSuspected(Exception):
    """Someone in the registration matches a person in an existing case of the same programme."""

    def __init__(self, matches: list[LikelyDuplicate]) -> None:
        self.matches = matches
        super().__init__("likely duplicate of case " + ", ".join(sorted({str(m.case_id) for m in matches})))


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was first used with a different request."""


class UnknownCase(Poison, ValueError):
    """An event names a case intake never registered: a rule break, dead-lettered."""
