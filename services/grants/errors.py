"""What can go wrong in a grant's life, by kind. The API maps each kind to one HTTP status."""

from __future__ import annotations

from shared.poison import Poison


class GrantsError(Exception):
    """A refusal with a message meant for the finance officer who asked."""


class NotFound(GrantsError):
    pass


class Conflict(GrantsError):
    """The request does not fit the current state (already disbursed, not due yet, closed...)."""


class IdempotencyConflict(Conflict):
    """A key that was used before, for different content."""


class FourEyesViolation(GrantsError):
    """The same officer may not both approve and disburse an installment."""


class InvalidRequest(GrantsError):
    """Well-formed but not acceptable (wrong currency, a method the installment cannot use)."""


class PlanRejected(Poison, ValueError):
    """A plan approval that cannot become a grant; the consumer dead-letters it with this reason."""
