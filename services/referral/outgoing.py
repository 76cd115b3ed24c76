"""Every change to a referral row, together with the events it causes, in the caller's transaction.

Each method writes the row and appends its events to the outbox (DESIGN rule 1): the partner's
topic gets ReferralIssued / ReferralWithdrawn, `referral.status.v1` gets a ReferralStatusChanged for
every status change (and a ReferralEscalated when the deadline passed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from shared import outbox
from shared.db import Connection
from shared.events import Envelope, Event, ReferralStatus, new_envelope, uuid7
from shared.events.referral import (
    ReferralEscalated,
    ReferralIssued,
    ReferralStatusChanged,
    ReferralWithdrawn,
)
from shared.topics import Topics, TopicSpec

from . import repository as repo
from .repository import Referral
from .routing import Placement
from .status import OPEN, move

PRODUCER = "referral"


class Outgoing:
    """Writes referral rows and their events for one transaction, caused by `cause` (the consumed
    event) or, for the sweep, by nothing (the referral's own correlation id is carried on)."""

    def __init__(self, connection: Connection, topics: Topics, now: datetime, cause: Envelope | None) -> None:
        self.connection = connection
        self.topics = topics
        self.now = now
        self.cause = cause

    async def create(
        self,
        case_id: UUID,
        placement: Placement,
        correlation_id: UUID,
        previous_referral_id: UUID | None = None,
    ) -> Referral:
        """A new referral row for `placement` (issued to a partner, unplaced, or needing consent)."""
        referral = Referral(
            referral_id=uuid7(),
            case_id=case_id,
            category=placement.category,
            partner_id=placement.partner_id,
            status=placement.status,
            priority=placement.priority,
            payload=placement.payload,
            respond_by=placement.respond_by,
            correlation_id=correlation_id,
            issued_event_id=None,
            previous_referral_id=previous_referral_id,
            reason=None,
            created_at=self.now,
            updated_at=self.now,
        )
        issued = self._issued(referral)
        if issued is not None:
            referral = replace(referral, issued_event_id=issued.event_id)
        await repo.insert_referral(self.connection, referral)
        await self._send_issued(referral, issued)
        await self._status_changed(referral, previous=None)
        return referral

    async def place(self, pending: Referral, placement: Placement) -> Referral:
        """A new placement for an unplaced or consent-waiting referral (same referral id)."""
        move(pending.state, placement.status)
        referral = replace(
            pending,
            partner_id=placement.partner_id,
            status=placement.status,
            priority=placement.priority,
            payload=placement.payload,
            respond_by=placement.respond_by,
            reason=None,
            updated_at=self.now,
        )
        issued = self._issued(referral)
        if issued is not None:
            referral = replace(referral, issued_event_id=issued.event_id)
        await repo.update_referral(self.connection, referral)
        await self._send_issued(referral, issued)
        await self._status_changed(referral, previous=pending.status)
        return referral

    async def change(self, referral: Referral, target: ReferralStatus, reason: str | None = None) -> Referral:
        """Move `referral` to `target` (the status machine permitting) and tell whom it concerns."""
        move(referral.state, target)
        changed = replace(referral, status=target, reason=reason or referral.reason, updated_at=self.now)
        await repo.update_referral(self.connection, changed)
        if target is ReferralStatus.WITHDRAWN and referral.status in OPEN and referral.partner_id:
            event: Event = ReferralWithdrawn(
                referral_id=referral.referral_id,
                case_id=referral.case_id,
                partner_id=referral.partner_id,
                category=referral.category,
                reason=reason or "withdrawn",
            )
            await self._append(self.topics.partner(referral.partner_id), event, referral)
        if target is ReferralStatus.ESCALATED and referral.partner_id and referral.respond_by:
            event = ReferralEscalated(
                referral_id=referral.referral_id,
                case_id=referral.case_id,
                partner_id=referral.partner_id,
                category=referral.category,
                deadline=referral.respond_by,
            )
            await self._append(self.topics.referral_status, event, referral)
        await self._status_changed(changed, previous=referral.status, reason=reason)
        return changed

    def _issued(self, referral: Referral) -> Envelope | None:
        if referral.status is not ReferralStatus.ISSUED:
            return None
        assert referral.partner_id is not None
        assert referral.respond_by is not None
        event = ReferralIssued(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            partner_id=referral.partner_id,
            category=referral.category,
            priority=referral.priority,
            respond_by=referral.respond_by,
            payload=referral.payload,
        )
        return self._envelope(event, referral)

    async def _send_issued(self, referral: Referral, issued: Envelope | None) -> None:
        if issued is not None and referral.partner_id is not None:
            await outbox.append(self.connection, self.topics.partner(referral.partner_id), issued)

    async def _status_changed(
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
        await self._append(self.topics.referral_status, event, referral)

    async def _append(self, topic: TopicSpec, event: Event, referral: Referral) -> None:
        await outbox.append(self.connection, topic, self._envelope(event, referral))

    def _envelope(self, event: Event, referral: Referral) -> Envelope:
        return new_envelope(
            event,
            key=referral.case_id,
            producer=PRODUCER,
            causation=self.cause,
            # a consumed event carries its conversation on; the sweep carries the referral's
            correlation_id=None if self.cause else referral.correlation_id,
            occurred_at=self.now,
        )
