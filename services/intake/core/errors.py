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
    """A person in an existing case who is likely someone being registered or checked."""

    member: int  # position in the new registration (or the checked case)
    # the existing case, or None when it is outside what the user may see (a case in another
    # programme with the same document number): they learn that one exists, not which
    case_id: UUID | None
    case_member: int | None  # the person's position in that case (None when the case is not shown)
    score: float
    reasons: tuple[str, ...]


class DuplicateSuspected(Exception):
    """Someone in the registration likely is a person in an existing case (matching.py)."""

    def __init__(self, matches: list[LikelyDuplicate]) -> None:
        self.matches = matches
        shown = sorted({str(m.case_id) for m in matches if m.case_id})
        super().__init__("likely duplicate of " + (", ".join(shown) or "a case the user may not see"))


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was first used with a different request."""


class UnknownCase(Poison, ValueError):
    """An event names a case intake never registered: a rule break, dead-lettered."""
