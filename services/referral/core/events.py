"""Every change to a referral row, together with the events it causes, in the caller's transaction.

Each method changes the row and appends its events to the outbox (DESIGN rule 1) through the
CaseBook, which writes both when it is flushed, in the same transaction: the partner's
topic gets ReferralIssued / ReferralWithdrawn, `referral.status.v1` gets a ReferralStatusChanged for
every status change (and a ReferralEscalated when the deadline passed).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from services.referral.store.casebook import CaseBook
from services.referral.store.referrals import Referral
from shared.events import Envelope, Event, ReferralStatus, new_envelope, uuid7
from shared.events.referral import (
    ReferralEscalated,
    ReferralIssued,
    ReferralStatusChanged,
    ReferralWithdrawn,
)
from shared.topics import Topics, TopicSpec

from .routing import Placement
from .status import OPEN, move

PRODUCER = "referral"


class Outgoing:
    """Writes referral rows and their events for one transaction, caused by `cause` (the consumed
    event) or, for the sweep, by nothing (the referral's own correlation id is carried on)."""

    def __init__(self, book: CaseBook, topics: Topics, now: datetime, cause: Envelope | None) -> None:
        self.book = book
        self.topics = topics
        self.now = now
        self.cause = cause

    def create(
        self,
        case_id: UUID,
        placement: Placement,
        correlation_id: UUID,
        previous_referral_id: UUID | None = None,
    ) -> Referral:
        """A new referral row for `placement` (issued to a partner, unplaced, or needing consent)."""
        referral_id = uuid7()
        issued = self._issued(case_id, referral_id, placement, correlation_id)
        referral = Referral(
            referral_id=referral_id,
            case_id=case_id,
            category=placement.category,
            partner_id=placement.partner_id,
            status=placement.status,
            priority=placement.priority,
            payload=placement.payload,
            respond_by=placement.respond_by,
            correlation_id=correlation_id,
            issued_event_id=issued.event_id if issued else None,
            previous_referral_id=previous_referral_id,
            reason=None,
            created_at=self.now,
            updated_at=self.now,
        )
        self.book.insert_referral(referral)
        self._send_issued(referral, issued)
        self._status_changed(referral, previous=None)
        return referral

    def place(self, pending: Referral, placement: Placement) -> Referral:
        """A new placement for an unplaced or consent-waiting referral (same referral id)."""
        move(pending.state, placement.status)
        issued = self._issued(pending.case_id, pending.referral_id, placement, pending.correlation_id)
        referral = replace(
            pending,
            partner_id=placement.partner_id,
            status=placement.status,
            priority=placement.priority,
            payload=placement.payload,
            respond_by=placement.respond_by,
            issued_event_id=issued.event_id if issued else pending.issued_event_id,
            reason=None,
            updated_at=self.now,
        )
        self.book.update_referral(referral)
        self._send_issued(referral, issued)
        self._status_changed(referral, previous=pending.status)
        return referral

    def change(self, referral: Referral, target: ReferralStatus, reason: str | None = None) -> Referral:
        """Move `referral` to `target` (the status machine permitting) and tell whom it concerns."""
        move(referral.state, target)
        changed = replace(referral, status=target, reason=reason or referral.reason, updated_at=self.now)
        self.book.update_referral(changed)
        if target is ReferralStatus.WITHDRAWN and referral.status in OPEN and referral.partner_id:
            event: Event = ReferralWithdrawn(
                referral_id=referral.referral_id,
                case_id=referral.case_id,
                partner_id=referral.partner_id,
                category=referral.category,
                reason=reason or "withdrawn",
            )
            self._append(_partner_topic(self.topics, referral.partner_id), event, referral)
        if target is ReferralStatus.ESCALATED and referral.partner_id and referral.respond_by:
            event = ReferralEscalated(
                referral_id=referral.referral_id,
                case_id=referral.case_id,
                partner_id=referral.partner_id,
                category=referral.category,
                deadline=referral.respond_by,
            )
            self._append(_status_topic(self.topics), event, referral)
        self._status_changed(changed, previous=referral.status, reason=reason)
        return changed

    def _issued(
        self, case_id: UUID, referral_id: UUID, placement: Placement, correlation_id: UUID
    ) -> Envelope | None:
        """The ReferralIssued a placement with a partner sends (None for any other placement)."""
        if placement.status is not ReferralStatus.ISSUED:
            return None
        assert placement.partner_id is not None
        assert placement.respond_by is not None
        event = ReferralIssued(
            referral_id=referral_id,
            case_id=case_id,
            partner_id=placement.partner_id,
            category=placement.category,
            priority=placement.priority,
            respond_by=placement.respond_by,
            payload=placement.payload,
        )
        return self._envelope(event, case_id, correlation_id)

    def _send_issued(self, referral: Referral, issued: Envelope | None) -> None:
        if issued is not None and referral.partner_id is not None:
            self.book.append(_partner_topic(self.topics, referral.partner_id), issued)

    def _status_changed(
        self, referral: Referral, previous: ReferralStatus | None, reason: str | None = None
    ) -> None:
        event = ReferralStatusChanged(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            partner_id=referral.partner_id,
            category=referral.category,
            status=referral.status,
            previous_status=previous,
            reason=reason,
        )
        self._append(_status_topic(self.topics), event, referral)

    def _append(self, topic: TopicSpec, event: Event, referral: Referral) -> None:
        self.book.append(topic, self._envelope(event, referral.case_id, referral.correlation_id))

    def _envelope(self, event: Event, case_id: UUID, correlation_id: UUID) -> Envelope:
        return new_envelope(
            event,
            key=case_id,
            producer=PRODUCER,
            causation=self.cause,
            # a consumed event carries its conversation on; the sweep carries the referral's
            correlation_id=None if self.cause else correlation_id,
            occurred_at=self.now,
        )


# Topic specs are rebuilt on every attribute access; a batch asks for them thousands of times.
@functools.cache
def _partner_topic(topics: Topics, partner_id: str) -> TopicSpec:
    return topics.partner(partner_id)


@functools.cache
def _status_topic(topics: Topics) -> TopicSpec:
    return topics.referral_status
