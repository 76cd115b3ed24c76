"""A case's timeline: its own changes and what referral and grants reported about it, in time order.
Summaries carry codes, ids and amounts only.

Each event referral reports has a second line for readers who may not see vulnerabilities
(`withheld`): which partner holds a referral, its deadline and the partner's own words are left
out, for every partner alike (a safe house's id, or its one-day deadline, would betray the case's
vulnerability), and escalations — and holds, which only escalated referrals get — are not shown to
them at all (their timing gives the deadline)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from services.intake.core.errors import UnknownCase
from shared.events import ReferralStatus, grants, referral
from shared.events.envelope import Envelope, Event, UnknownEventType

# the statuses whose reason is the partner's own free text
PARTNERS_WORDS = frozenset({ReferralStatus.DECLINED, ReferralStatus.COMPLETED})


class Source(StrEnum):
    INTAKE = "intake"
    REFERRAL = "referral"
    GRANTS = "grants"


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    occurred_at: datetime
    source: Source
    type: str
    summary: str
    recorded_by: UUID | None = None  # who did it, for intake's own changes
    event_id: UUID | None = None


def merge(*entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """One list in time order; on a tie intake's own change comes first (it caused the others)."""
    order = list(Source)
    return sorted(
        (e for group in entries for e in group), key=lambda e: (e.occurred_at, order.index(e.source))
    )


def describe(event: Event) -> str:
    """One line about a referral or grants event."""
    match event:
        case referral.ReferralStatusChanged():
            partner = f" with {event.partner_id}" if event.partner_id else ""
            was = f" (was {event.previous_status})" if event.previous_status else ""
            why = f": {event.reason}" if event.reason else ""
            return f"Referral for {event.category}{partner}: {event.status}{was}{why}"
        case referral.ReferralEscalated():
            return (
                f"Referral for {event.category} with {event.partner_id} escalated:"
                f" no answer by {event.deadline.isoformat(timespec='minutes')}"
            )
        case referral.ReferralHeld():
            return f"Referral for {event.category} held by the caseworker: not re-routed automatically"
        case referral.ReferralReleased():
            return (
                f"Referral for {event.category} released: re-routed automatically after its second deadline"
            )
        case grants.GrantOpened():
            count = len(event.installments)
            return f"Grant opened: {event.total} in {count} installments ({event.programme_id})"
        case grants.GrantAwaitingFunding():
            return f"Grant awaiting funding: {event.total}, short by {event.shortfall}"
        case grants.InstallmentDue():
            return f"Installment due: {event.amount}"
        case grants.InstallmentApproved():
            return f"Installment approved: {event.amount}"
        case grants.InstallmentDisbursed():
            return f"Installment disbursed: {event.amount} by {event.method}"
        case grants.InstallmentFailed():
            return f"Installment failed: {event.amount}: {event.reason}"
        case grants.InstallmentCancelled():
            return f"Installment cancelled ({event.milestone}): {event.reason}; {event.released} released"
        case grants.GrantAmended():
            added, cancelled = len(event.added), len(event.cancelled_installments)
            return (
                f"Grant amended: {event.total}; {added} installments added ({event.committed}),"
                f" {cancelled} cancelled ({event.released} released)"
            )
        case grants.GrantClosed():
            return f"Grant closed: {event.reason}; {event.released} released"
    return event.event_type


def withheld(event: Event) -> str | None:
    """The line for readers who may not see vulnerabilities; None: the entry is not shown to them."""
    match event:
        case referral.ReferralStatusChanged():
            if event.status is ReferralStatus.ESCALATED:
                return None
            partner = " with a partner" if event.partner_id else ""
            why = f": {event.reason}" if event.reason and event.status not in PARTNERS_WORDS else ""
            return f"Referral for {event.category}{partner}: {event.status}{why}"
        case referral.ReferralEscalated() | referral.ReferralHeld() | referral.ReferralReleased():
            return None  # only an escalated referral is held: its timing would give the deadline
    return describe(event)


@dataclass(frozen=True)
class Reported:
    """An event referral or grants reported, as the timeline keeps it."""

    case_id: UUID
    entry: TimelineEntry
    withheld_summary: str | None  # for readers who may not see vulnerabilities; None: not shown


def consumed_entry(envelope: Envelope, source: Source) -> Reported:
    """The timeline entry of an event consumed from referral or grants.

    An event type this version does not know yet is kept with its type as summary (a producer may
    add types within a topic version); one whose data does not fit its model raises MalformedEvent."""
    try:
        event: Event | None = envelope.event()
    except UnknownEventType:
        event = None
    case_value = getattr(event, "case_id", None) if event else envelope.data.get("case_id", envelope.key)
    try:
        case_id = UUID(str(case_value))
    except ValueError:
        raise UnknownCase(f"{envelope.type} names no case id (got {case_value!r})") from None
    entry = TimelineEntry(
        occurred_at=envelope.occurred_at,
        source=source,
        type=envelope.type,
        summary=describe(event) if event else envelope.type,
        event_id=envelope.event_id,
    )
    # an unknown type is shown as its name: it carries nothing else
    return Reported(case_id, entry, withheld(event) if event else envelope.type)
