"""Referral events: issued to one partner (`referrals.<partner_id>.v1`), answered by that partner
on its own topic (`referral.responses.<partner_id>.v1`; the shared `referral.responses.v1` is
deprecated), and followed on `referral.status.v1`. All keyed by case id."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from .codes import Category, Priority, ReferralStatus
from .envelope import Event


class ReferralIssued(Event):
    event_type = "ReferralIssued"

    referral_id: UUID
    case_id: UUID
    partner_id: str
    category: Category
    priority: Priority
    respond_by: datetime
    # only the fields this category may see (routing decides the list); no names, no flags
    payload: dict[str, Any]


class ReferralWithdrawn(Event):
    event_type = "ReferralWithdrawn"

    referral_id: UUID
    case_id: UUID
    partner_id: str
    category: Category
    reason: str


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
