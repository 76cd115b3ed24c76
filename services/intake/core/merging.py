"""Merging an announcement into the case of the same family: the caseworker saw the likely
duplicate (matching.py) and says it is one family. The case that stays gains the announcement's
expected-arrival facts; the announcement is closed, pointing at it.

An announcement is a case like any other (issue 13's pre-arrival notice starts one as
`expected`); so is a second registration of one family by another office that nobody has
assessed yet. Either may be merged; a case somebody has worked on (assessed, planned) may not."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.intake.core import events
from services.intake.core.case import Case, CaseStatus, ClosureRecord
from services.intake.core.decisions import Decision
from services.intake.core.errors import CaseConflict
from services.intake.core.matching import pairings, person_of
from shared.events.codes import ClosureReason
from shared.events.duplicates import AnnouncementMerged

# the statuses of a case nobody has worked on yet: an announcement (`expected`, issue 13 point 1)
# or a registration not yet assessed
MERGEABLE = frozenset({"expected", CaseStatus.REGISTERED.value})
# The Case fields that hold an announcement's expected-arrival facts (`arrival`: the trip, arrival
# point, scheduled time, special assistance needs, meeting code). Each joins the case that stays
# where that case has none of its own.
ARRIVAL_FACTS: tuple[str, ...] = ("arrival",)


def merge(
    case: Case, announcement: Case, by: UUID, now: datetime, threshold: float
) -> tuple[Decision, Decision]:
    """The case that stays (AnnouncementMerged) and the announcement, closed (CaseClosed)."""
    if case.id == announcement.id:
        raise CaseConflict("a case cannot be merged into itself")
    if case.status is CaseStatus.CLOSED:
        raise CaseConflict("the case is closed")
    if announcement.status.value not in MERGEABLE or announcement.merged_into is not None:
        raise CaseConflict("only an announcement, or a registration nobody has assessed yet, can be merged")
    if not pairings(
        [person_of(m) for m in announcement.members], [person_of(m) for m in case.members], threshold
    ):
        raise CaseConflict("nobody in the announcement is likely someone in the case")
    facts = {
        name: getattr(announcement, name)
        for name in ARRIVAL_FACTS
        if getattr(case, name) in (None, [], {}) and getattr(announcement, name) not in (None, [], {})
    }
    stays = case.model_copy(
        update={
            **facts,
            "merged_from": [*case.merged_from, announcement.id],
            "updated_by": by,
            "updated_at": now,
        }
    )
    record = ClosureRecord(
        reason=ClosureReason.OTHER, note=f"merged into case {case.id}", closed_by=by, closed_at=now
    )
    closed = announcement.model_copy(
        update={
            "status": CaseStatus.CLOSED,
            "closure": record,
            "merged_into": case.id,
            "updated_by": by,
            "updated_at": now,
        }
    )
    merged = AnnouncementMerged(case_id=case.id, announcement_id=announcement.id, merged_by=str(by))
    return (
        Decision(
            stays, "AnnouncementMerged", f"Announcement {announcement.id} merged into this case", merged
        ),
        Decision(
            closed,
            "CaseClosed",
            f"Case closed: merged into case {case.id}",
            events.case_closed(closed, record),
        ),
    )
