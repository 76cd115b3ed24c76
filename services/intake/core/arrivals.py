"""The decisions of an announced return, pure: announce (the case starts `expected`), reschedule,
cancel, miss (nobody confirmed it in time) and confirm (the case moves on to `registered`, its
arrival date the confirmed day). Each returns a `Decision`: the new case, its history line (ids and
codes only) and the event it publishes."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from services.intake.core import events
from services.intake.core.arrival_requests import Announcement, ArrivalConfirmationRequest, Reschedule
from services.intake.core.case import (
    Arrival,
    ArrivalCancellation,
    ArrivalConfirmation,
    Case,
    CaseStatus,
)
from services.intake.core.decisions import Assignment, Decision, new_case
from services.intake.core.errors import CaseConflict
from shared.events.codes import ArrivalCancellationReason

UTC_ZONE = ZoneInfo("UTC")


def _expected(case: Case) -> Arrival:
    if case.status is not CaseStatus.EXPECTED or case.arrival is None:
        raise CaseConflict(f"the case is {case.status.value}, not an expected arrival")
    return case.arrival


def announce(
    announcement: Announcement,
    case_id: UUID,
    meeting_code: str,
    by: UUID,
    now: datetime,
    assignment: Assignment,
    zone: ZoneInfo = UTC_ZONE,
) -> Decision:
    """`zone`: the arrival point's; the scheduled day there is the case's arrival date until the
    arrival is confirmed."""
    arrival = Arrival(
        mode=announcement.mode,
        carrier=announcement.carrier,
        number=announcement.number,
        arrival_point=announcement.arrival_point,
        scheduled_at=announcement.scheduled_at,
        special_assistance=announcement.special_assistance,
        meeting_code=meeting_code,
        announced_by=by,
        announced_at=now,
    )
    case = new_case(
        announcement,
        case_id,
        CaseStatus.EXPECTED,
        announcement.scheduled_at.astimezone(zone).date(),
        by,
        now,
        assignment,
        arrival,
    )
    size = len(case.members)
    summary = (
        f"Arrival announced: {'one returnee' if size == 1 else f'a household of {size}'},"
        f" {arrival.mode.value} {arrival.number} to {arrival.arrival_point}"
        f" at {arrival.scheduled_at.isoformat()},"
        f" programme {case.programme_id}, municipality {case.municipality}"
    )
    return Decision(case, "ArrivalAnnounced", summary, events.arrival_announced(case, now.date()))


def reschedule(
    case: Case, change: Reschedule, by: UUID, now: datetime, zone: ZoneInfo = UTC_ZONE
) -> Decision:
    arrival = _expected(case)
    trip = change.model_dump()
    if all(getattr(arrival, name) == value for name, value in trip.items()):
        return Decision(case, "ArrivalUnchanged", "Arrival unchanged", None)
    moved = arrival.model_copy(update=trip)
    updated = case.model_copy(
        update={
            "arrival": moved,
            "arrival_date": moved.scheduled_at.astimezone(zone).date(),
            "updated_by": by,
            "updated_at": now,
        }
    )
    summary = (
        f"Arrival rescheduled: {moved.mode.value} {moved.number} to {moved.arrival_point}"
        f" at {moved.scheduled_at.isoformat()} (was {arrival.scheduled_at.isoformat()})"
    )
    event = events.arrival_rescheduled(updated, arrival.scheduled_at, by, now.date())
    return Decision(updated, "ArrivalRescheduled", summary, event)


def cancel(
    case: Case, reason: ArrivalCancellationReason, note: str | None, by: UUID, now: datetime
) -> Decision:
    arrival = _expected(case)
    ended = ArrivalCancellation(reason=reason, note=note, ended_by=by, ended_at=now)
    updated = case.model_copy(
        update={
            "arrival": arrival.model_copy(update={"cancellation": ended}),
            "status": CaseStatus.ARRIVAL_CANCELLED,
            "updated_by": by,
            "updated_at": now,
        }
    )
    event = events.arrival_cancelled(updated, reason, by)
    return Decision(updated, "ArrivalCancelled", f"Arrival cancelled: {reason.value}", event)


def miss(case: Case, grace: timedelta, now: datetime) -> Decision:
    """Nobody confirmed the arrival by its scheduled time plus `grace` (the job acts, nobody signed
    in: the case keeps its last `updated_by`; its history line names no user)."""
    arrival = _expected(case)
    if now < arrival.scheduled_at + grace:
        raise CaseConflict("the arrival is not overdue yet")
    ended = ArrivalCancellation(reason=None, ended_by=None, ended_at=now)
    updated = case.model_copy(
        update={
            "arrival": arrival.model_copy(update={"cancellation": ended}),
            "status": CaseStatus.ARRIVAL_MISSED,
            "updated_at": now,
        }
    )
    summary = f"Arrival missed: nobody confirmed {arrival.number} of {arrival.scheduled_at.isoformat()}"
    return Decision(updated, "ArrivalMissed", summary, events.arrival_missed(updated, arrival.scheduled_at))


def confirm(
    case: Case, request: ArrivalConfirmationRequest, by: UUID, now: datetime, zone: ZoneInfo = UTC_ZONE
) -> Decision:
    """The family arrived: the case is `registered` (a walk-in registration's state — the office
    assesses it next), its arrival date the confirmed day at the arrival point."""
    arrival = _expected(case)
    confirmation = ArrivalConfirmation(
        arrived_at=request.arrived_at,
        met_by=request.met_by,
        not_travelled=sorted(set(request.not_travelled)),
        confirmed_by=by,
        confirmed_at=now,
    )
    updated = case.model_copy(
        update={
            "arrival": arrival.model_copy(update={"confirmation": confirmation}),
            "status": CaseStatus.REGISTERED,
            "arrival_date": request.arrived_at.astimezone(zone).date(),
            "updated_by": by,
            "updated_at": now,
        }
    )
    absent = len(confirmation.not_travelled)
    summary = (
        f"Arrival confirmed at {arrival.arrival_point}, {request.arrived_at.isoformat()}, met by"
        f" {request.met_by.value}" + (f"; {absent} announced member(s) did not travel" if absent else "")
    )
    arrived = confirmation.model_copy(update={"arrived_at": request.arrived_at.astimezone(zone)})
    event = events.arrival_confirmed(updated, arrived, arrival.scheduled_at)
    return Decision(updated, "ArrivalConfirmed", summary, event)
