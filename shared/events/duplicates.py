"""The event of intake's duplicate handling (services/intake/core/merging.py), on
`intake.returnees.v1` keyed by the case that stays. In a module of its own so that the arrivals
work (issue 13, point 1) and this one name it in one place.

Ids only: which announcement joined which case, and who merged it. The announcement itself is
closed by a CaseClosed of its own (reason `other`), so that a consumer that does not know this
event still stops working on it."""

from __future__ import annotations

from uuid import UUID

from .envelope import Event


class AnnouncementMerged(Event):
    """An announced return (a case expected, or registered and not yet assessed) turned out to be
    the family of `case_id`: its expected-arrival facts joined that case, and it is closed."""

    event_type = "AnnouncementMerged"

    case_id: UUID  # the case that stays (the envelope's key)
    announcement_id: UUID  # the case merged into it, closed
    merged_by: str
