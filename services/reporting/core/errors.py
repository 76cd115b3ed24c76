"""The refusals reporting answers with."""

from __future__ import annotations


class ReportingError(Exception):
    """Base of reporting's refusals."""


class NotFound(ReportingError):
    """No such programme for this reader (one outside their scope is answered alike)."""


class InvalidPeriod(ReportingError):
    """A period that ends before it starts, or spans more than a report may."""


class ReplayIncomplete(ReportingError):
    """A rebuild cannot start from the beginning of a topic: the broker no longer holds its first
    events (retention deleted them), so a replay would build a smaller model than the live one."""
