"""Referral events: issued to one partner (`referrals.<partner_id>.v1`), answered by that partner
on its own topic (`referral.responses.<partner_id>.v1`; the shared `referral.responses.v1` is
deprecated), and followed on `referral.status.v1`. All keyed by case id."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from .codes import Category, ErasureReason, Priority, ReferralStatus
from .envelope import Event


class ReferralIssued(Event):
    event_type = "ReferralIssued"

    referral_id: UUID
    case_id: UUID
    partner_id: str
    category: Category
    priority: Priority = Field(
        description="The caseworker's urgency (normal, high, urgent) at the last assessment; a normal "
        "case whose returnee arrived more than 30 days before the referral is issued is high. Never "
        "derived from vulnerabilities: a partner learns a vulnerability only where its category's "
        "payload declares it (`vulnerabilities`) and the returnee consented to share with that category."
    )
    respond_by: datetime
    # only the fields this category may see (routing decides the list); no names, no contacts
    payload: dict[str, Any]


class ReferralWithdrawn(Event):
    event_type = "ReferralWithdrawn"

    referral_id: UUID
    case_id: UUID
    partner_id: str
    category: Category
    reason: str


class ErasureRequested(Event):
    """Sent on a partner's own topic: delete everything held about `case_id` (the referrals
    `referral_ids` brought), because its personal data was erased in Homeward or the returnee
    withdrew consent to share with the partner's category. Nothing is to be answered."""

    event_type = "ErasureRequested"

    case_id: UUID
    partner_id: str
    referral_ids: list[UUID]
    reason: ErasureReason


class PartnerResponse(Event):
    referral_id: UUID
    case_id: UUID
    partner_id: str


class ReferralAccepted(PartnerResponse):
    event_type = "ReferralAccepted"


class ReferralDeclined(PartnerResponse):
    event_type = "ReferralDeclined"

    reason: str


class ReferralCompleted(PartnerResponse):
    event_type = "ReferralCompleted"

    outcome: str


class ReferralStatusChanged(Event):
    event_type = "ReferralStatusChanged"

    referral_id: UUID
    case_id: UUID
    partner_id: str | None
    category: Category
    status: ReferralStatus
    previous_status: ReferralStatus | None = None
    reason: str | None = None


class ReferralEscalated(Event):
    event_type = "ReferralEscalated"

    referral_id: UUID
    case_id: UUID
    partner_id: str
    category: Category
    deadline: datetime


class ReferralHeld(Event):
    """A caseworker holds an escalated referral: it is not re-routed automatically at its second
    deadline while held (on `referral.status.v1` only: partners are not told)."""

    event_type = "ReferralHeld"

    referral_id: UUID
    case_id: UUID
    category: Category


class ReferralReleased(Event):
    """A caseworker released the hold on an escalated referral: the automatic re-route applies again."""

    event_type = "ReferralReleased"

    referral_id: UUID
    case_id: UUID
    category: Category
