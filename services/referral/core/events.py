"""The events each referral change causes, pure: a change is decided here as the referral it
leaves behind and the envelopes it sends, in publishing order; the use cases write both in one
transaction (DESIGN rule 1).

- a new or re-placed referral ISSUED to a partner sends it ReferralIssued on its own topic;
- withdrawing a referral a partner holds sends it ReferralWithdrawn;
- escalating one (its deadline passed) sends ReferralEscalated on `referral.status.v1`;
- holding an escalated one, or releasing the hold, sends ReferralHeld / ReferralReleased there;
- every change sends ReferralStatusChanged on `referral.status.v1`, after the events above;
- erasure (the case's personal data erased, or consent to share with a category withdrawn) sends
  each partner that was ever sent one of the referrals concerned an ErasureRequested on its topic.

Every move is checked by the status machine first (RefusedTransition).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from shared.events import Category, Envelope, ErasureReason, Event, ReferralStatus, new_envelope, uuid7
from shared.events.referral import (
    ErasureRequested,
    ReferralEscalated,
    ReferralHeld,
    ReferralIssued,
    ReferralReleased,
    ReferralStatusChanged,
    ReferralWithdrawn,
)

from .referral import Referral
from .routing import Placement
from .status import OPEN, move

PRODUCER = "referral"


@dataclass(frozen=True)
class Occasion:
    """When the changes happen and what caused them: a consumed event, or — for the escalation
    sweep — nothing (each referral's own correlation id is then carried on)."""

    now: datetime
    cause: Envelope | None = None


@dataclass(frozen=True)
class Message:
    """An envelope and where it goes: to a partner's own topic, or (`partner_id` None) to
    `referral.status.v1`."""

    envelope: Envelope
    partner_id: str | None = None


@dataclass(frozen=True)
class Change:
    """A referral as a change leaves it (`before` None: a new one) and the messages it sends."""

    before: Referral | None
    after: Referral
    messages: tuple[Message, ...]


def opened(
    occasion: Occasion,
    case_id: UUID,
    placement: Placement,
    correlation_id: UUID,
    previous_referral_id: UUID | None = None,
) -> Change:
    """A new referral for `placement` (issued to a partner, unplaced, or needing consent)."""
    referral_id = uuid7()
    issued = _issued(occasion, case_id, referral_id, placement, correlation_id)
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
        issued_event_id=issued.envelope.event_id if issued else None,
        previous_referral_id=previous_referral_id,
        reason=None,
        created_at=occasion.now,
        updated_at=occasion.now,
    )
    return Change(None, referral, (*_optional(issued), _status_changed(occasion, referral, previous=None)))


def placed(occasion: Occasion, pending: Referral, placement: Placement, reason: str | None = None) -> Change:
    """A new placement for an unplaced or consent-waiting referral (same referral id); `reason`
    says why on `referral.status.v1` (placed by hand, a place freed)."""
    move(pending.state, placement.status)
    issued = _issued(occasion, pending.case_id, pending.referral_id, placement, pending.correlation_id)
    referral = replace(
        pending,
        partner_id=placement.partner_id,
        status=placement.status,
        priority=placement.priority,
        payload=placement.payload,
        respond_by=placement.respond_by,
        issued_event_id=issued.envelope.event_id if issued else pending.issued_event_id,
        reason=None,
        updated_at=occasion.now,
    )
    status_changed = _status_changed(occasion, referral, previous=pending.status, reason=reason)
    return Change(pending, referral, (*_optional(issued), status_changed))


def held(occasion: Occasion, referral: Referral, by: UUID) -> Change:
    """A caseworker holds an escalated referral (core/actions.py checks it may be held): only
    `referral.status.v1` hears of it; the partner is not told."""
    after = replace(referral, held_by=by, held_at=occasion.now, updated_at=occasion.now)
    event = ReferralHeld(
        referral_id=referral.referral_id, case_id=referral.case_id, category=referral.category
    )
    return Change(referral, after, (_about(occasion, referral, event),))


def released(occasion: Occasion, referral: Referral) -> Change:
    """The hold on a referral released: the automatic re-route applies to it again."""
    after = replace(referral, held_by=None, held_at=None, updated_at=occasion.now)
    event = ReferralReleased(
        referral_id=referral.referral_id, case_id=referral.case_id, category=referral.category
    )
    return Change(referral, after, (_about(occasion, referral, event),))


def moved(
    occasion: Occasion, referral: Referral, target: ReferralStatus, reason: str | None = None
) -> Change:
    """`referral` moved to `target` (the status machine permitting), and whom that concerns."""
    move(referral.state, target)
    changed = replace(referral, status=target, reason=reason or referral.reason, updated_at=occasion.now)
    messages: list[Message] = []
    if target is ReferralStatus.WITHDRAWN and referral.status in OPEN and referral.partner_id:
        withdrawn = ReferralWithdrawn(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            partner_id=referral.partner_id,
            category=referral.category,
            reason=reason or "withdrawn",
        )
        messages.append(_about(occasion, referral, withdrawn, partner_id=referral.partner_id))
    if target is ReferralStatus.ESCALATED and referral.partner_id and referral.respond_by:
        escalated = ReferralEscalated(
            referral_id=referral.referral_id,
            case_id=referral.case_id,
            partner_id=referral.partner_id,
            category=referral.category,
            deadline=referral.respond_by,
        )
        messages.append(_about(occasion, referral, escalated))
    messages.append(_status_changed(occasion, changed, previous=referral.status, reason=reason))
    return Change(referral, changed, tuple(messages))


def erasure_requests(
    occasion: Occasion,
    referrals: Sequence[Referral],
    reason: ErasureReason,
    categories: Collection[Category] | None = None,
) -> list[Message]:
    """One ErasureRequested per partner that was ever sent one of `referrals` (of `categories`,
    when given), naming the referrals it received, in the order the partners first got one."""
    received: dict[str, list[Referral]] = {}
    for referral in referrals:
        sent = referral.partner_id is not None and referral.issued_event_id is not None
        if sent and (categories is None or referral.category in categories):
            received.setdefault(str(referral.partner_id), []).append(referral)
    messages = []
    for partner_id, held in received.items():
        request = ErasureRequested(
            case_id=held[0].case_id,
            partner_id=partner_id,
            referral_ids=[r.referral_id for r in held],
            reason=reason,
        )
        messages.append(_about(occasion, held[0], request, partner_id=partner_id))
    return messages


def _issued(
    occasion: Occasion, case_id: UUID, referral_id: UUID, placement: Placement, correlation_id: UUID
) -> Message | None:
    """The ReferralIssued a placement with a partner sends (None for any other placement)."""
    if placement.status is not ReferralStatus.ISSUED:
        return None
    if placement.partner_id is None or placement.respond_by is None:
        raise ValueError(f"an issued placement names its partner and its deadline: {placement!r}")
    event = ReferralIssued(
        referral_id=referral_id,
        case_id=case_id,
        partner_id=placement.partner_id,
        category=placement.category,
        priority=placement.priority,
        respond_by=placement.respond_by,
        payload=placement.payload,
    )
    return Message(_envelope(occasion, event, case_id, correlation_id), placement.partner_id)


def _status_changed(
    occasion: Occasion, referral: Referral, previous: ReferralStatus | None, reason: str | None = None
) -> Message:
    event = ReferralStatusChanged(
        referral_id=referral.referral_id,
        case_id=referral.case_id,
        partner_id=referral.partner_id,
        category=referral.category,
        status=referral.status,
        previous_status=previous,
        reason=reason,
    )
    return _about(occasion, referral, event)


def _about(occasion: Occasion, referral: Referral, event: Event, partner_id: str | None = None) -> Message:
    return Message(_envelope(occasion, event, referral.case_id, referral.correlation_id), partner_id)


def _envelope(occasion: Occasion, event: Event, case_id: UUID, correlation_id: UUID) -> Envelope:
    return new_envelope(
        event,
        key=case_id,
        producer=PRODUCER,
        causation=occasion.cause,
        # a consumed event carries its conversation on; the sweep carries the referral's
        correlation_id=None if occasion.cause else correlation_id,
        occurred_at=occasion.now,
    )


def _optional(message: Message | None) -> tuple[Message, ...]:
    return (message,) if message is not None else ()
