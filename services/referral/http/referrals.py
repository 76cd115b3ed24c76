"""The HTTP API: where each referral stands, partners' load, and what waits for a caseworker.

Read-only; every `/v1` route needs a bearer token of a caseworker, supervisor or admin.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.referral.core.directory import Directory, Eligibility
from services.referral.store import referrals as repo
from services.referral.store.referrals import Referral
from shared.events import Category, Priority, ReferralStatus
from shared.http.auth import require_roles
from shared.identity.model import Role, User

router = APIRouter()
readers = require_roles(Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)


class ReferralOut(BaseModel):
    referral_id: UUID
    case_id: UUID
    category: Category
    partner_id: str | None
    status: ReferralStatus
    priority: Priority
    payload: dict[str, Any]
    respond_by: datetime | None
    previous_referral_id: UUID | None
    reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, referral: Referral) -> ReferralOut:
        return cls.model_validate(referral, from_attributes=True)


class ReferralList(BaseModel):
    referrals: list[ReferralOut]


class CategoryLoad(BaseModel):
    category: Category
    capacity: int
    deadline_hours: int
    accepted: int
    awaiting_answer: int  # issued or escalated: a place is held until the partner answers
    available: int


class PartnerOut(BaseModel):
    id: str
    name: str
    municipalities: list[str]
    eligibility: Eligibility
    categories: list[CategoryLoad]


class PartnerList(BaseModel):
    partners: list[PartnerOut]


@router.get("/v1/referrals", response_model=ReferralList)
async def list_referrals(
    request: Request,
    case_id: UUID | None = None,
    partner_id: str | None = None,
    status: ReferralStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
    _: User = Depends(readers),
) -> ReferralList:
    found = await repo.list_referrals(
        request.app.state.pool,
        case_id=case_id,
        partner_id=partner_id,
        statuses=[status] if status else [],
        limit=limit,
    )
    return ReferralList(referrals=[ReferralOut.of(r) for r in found])


@router.get("/v1/referrals/unplaced", response_model=ReferralList)
async def unplaced_referrals(
    request: Request, limit: int = Query(100, ge=1, le=1000), _: User = Depends(readers)
) -> ReferralList:
    """Referrals no partner could take (none eligible, or all full): a caseworker must act."""
    found = await repo.list_referrals(request.app.state.pool, statuses=[ReferralStatus.UNPLACED], limit=limit)
    return ReferralList(referrals=[ReferralOut.of(r) for r in found])


@router.get("/v1/partners", response_model=PartnerList)
async def partners(request: Request, _: User = Depends(readers)) -> PartnerList:
    directory: Directory = request.app.state.directory
    counts = await repo.open_counts(request.app.state.pool)
    out = []
    for partner in sorted(directory.partners, key=lambda p: p.id):
        loads = []
        for category, service in partner.categories.items():
            accepted = counts.get((partner.id, category, ReferralStatus.ACCEPTED), 0)
            awaiting = counts.get((partner.id, category, ReferralStatus.ISSUED), 0) + counts.get(
                (partner.id, category, ReferralStatus.ESCALATED), 0
            )
            loads.append(
                CategoryLoad(
                    category=category,
                    capacity=service.capacity,
                    deadline_hours=service.deadline_hours,
                    accepted=accepted,
                    awaiting_answer=awaiting,
                    available=max(0, service.capacity - accepted - awaiting),
                )
            )
        out.append(
            PartnerOut(
                id=partner.id,
                name=partner.name,
                municipalities=list(partner.municipalities),
                eligibility=partner.eligibility,
                categories=loads,
            )
        )
    return PartnerList(partners=out)
