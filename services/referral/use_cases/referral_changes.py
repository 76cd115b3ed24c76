"""`ReferralChanges`: the referral changes of one transaction, each written to its CaseBook
together with the events it causes (the core decides both, `core/events.py`). The book writes the
rows and the outbox rows when it is flushed, in the caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from uuid import UUID

from services.referral.core.events import (
    Change,
    Occasion,
    erasure_requests,
    held,
    moved,
    opened,
    placed,
    released,
)
from services.referral.core.referral import Referral
from services.referral.core.routing import Placement
from services.referral.store.casebook import CaseBook
from shared.events import Category, ErasureReason, ReferralStatus
from shared.topics import Topics, TopicSpec


class ReferralChanges:
    def __init__(self, book: CaseBook, topics: Topics, occasion: Occasion) -> None:
        self.book = book
        self.topics = topics
        self.occasion = occasion

    def open(
        self,
        case_id: UUID,
        placement: Placement,
        correlation_id: UUID,
        previous_referral_id: UUID | None = None,
    ) -> Referral:
        """A new referral row for `placement` (issued to a partner, unplaced, or needing consent)."""
        change = opened(self.occasion, case_id, placement, correlation_id, previous_referral_id)
        self.book.insert_referral(change.after)
        return self._send(change)

    def place(self, pending: Referral, placement: Placement, reason: str | None = None) -> Referral:
        """A new placement for an unplaced or consent-waiting referral (same referral id)."""
        change = placed(self.occasion, pending, placement, reason)
        self.book.update_referral(change.after)
        return self._send(change)

    def move(self, referral: Referral, target: ReferralStatus, reason: str | None = None) -> Referral:
        """Move `referral` to `target` (the status machine permitting) and tell whom it concerns."""
        change = moved(self.occasion, referral, target, reason)
        self.book.update_referral(change.after)
        return self._send(change)

    def hold(self, referral: Referral, by: UUID) -> Referral:
        """Hold an escalated referral (no automatic re-route while held)."""
        change = held(self.occasion, referral, by)
        self.book.update_referral(change.after)
        return self._send(change)

    def release(self, referral: Referral) -> Referral:
        change = released(self.occasion, referral)
        self.book.update_referral(change.after)
        return self._send(change)

    def request_erasure(
        self,
        referrals: Sequence[Referral],
        reason: ErasureReason,
        categories: Collection[Category] | None = None,
    ) -> None:
        """Ask every partner that was sent one of `referrals` (of `categories`) to delete it."""
        for message in erasure_requests(self.occasion, referrals, reason, categories):
            if message.partner_id is not None:
                self.book.append(_partner_topic(self.topics, message.partner_id), message.envelope)

    def _send(self, change: Change) -> Referral:
        for message in change.messages:
            topic = (
                _status_topic(self.topics)
                if message.partner_id is None
                else _partner_topic(self.topics, message.partner_id)
            )
            self.book.append(topic, message.envelope)
        return change.after


# Topic specs are rebuilt on every attribute access; a batch asks for them thousands of times.
@functools.cache
def _partner_topic(topics: Topics, partner_id: str) -> TopicSpec:
    return topics.partner(partner_id)


@functools.cache
def _status_topic(topics: Topics) -> TopicSpec:
    return topics.referral_status
