"""A referral and a case as referral keeps them: the typed rows the store returns and the use cases
change (a change is a new frozen value, see `events.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.events.codes import Category, Priority, ReferralStatus
from shared.events.intake import CaseFacts

from .status import ReferralState


@dataclass(frozen=True)
class Referral:
    referral_id: UUID
    case_id: UUID
    category: Category
    partner_id: str | None
    status: ReferralStatus
    priority: Priority
    payload: dict[str, Any]  # what the partner was sent (see payloads.py); {} until it is placed
    respond_by: datetime | None
    correlation_id: UUID  # the conversation it belongs to, carried on by every event about it
    issued_event_id: UUID | None  # the ReferralIssued a partner answers with as causation_id
    previous_referral_id: UUID | None  # the declined referral this one re-routes
    reason: str | None
    created_at: datetime
    updated_at: datetime
    # a caseworker's hold on an escalated referral: no automatic re-route while set (core/actions.py)
    held_by: UUID | None = None
    held_at: datetime | None = None

    @property
    def state(self) -> ReferralState:
        return ReferralState(self.referral_id, self.case_id, self.category, self.partner_id, self.status)


@dataclass(frozen=True)
class Case:
    """What referral knows of a case: the routing facts of its latest assessment, and whether it
    was closed (a closed case takes no new referral) or its personal data erased (then the facts
    are only its programme and municipality)."""

    facts: CaseFacts
    closed: bool
    erased: bool = False


@dataclass(frozen=True)
class Assignment:
    """Who works on a case in intake, and its office (either may be None): read-scopes only."""

    case_id: UUID
    assigned_to: UUID | None
    office: str | None
    programme_id: str | None = None  # when read for a scope check (not written by assign_cases)
