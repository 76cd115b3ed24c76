"""Where each referral stands, and the referrals that wait for a caseworker (read-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.referral.core.directory import PARTNER_ID_PATTERN
from services.referral.core.referral import Referral
from services.referral.store import referrals as store
from shared.db import Pool
from shared.events import Category, Priority, ReferralStatus
from shared.http.params import known_query_only
from shared.identity.model import User

from .deps import pool, readers

router = APIRouter(dependencies=[Depends(known_query_only)])


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


@router.get("/v1/referrals", response_model=ReferralList)
async def list_referrals(
    case_id: UUID | None = None,
    # typed as the directory spells partner ids: anything else names no partner
    partner_id: str | None = Query(None, pattern=PARTNER_ID_PATTERN),
    status: ReferralStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
    database: Pool = Depends(pool),
    user: User = Depends(readers),
) -> ReferralList:
    """Within the reader's programmes (and, if they are limited to them, their own or their
    office's cases): another programme's referrals are not there, even by case id."""
    found = await store.list_referrals(
        database,
        programmes=user.programme_scope(),
        case_limit=user.case_limit(),
        case_id=case_id,
        partner_id=partner_id,
        statuses=[status] if status else [],
        limit=limit,
    )
    return ReferralList(referrals=[ReferralOut.of(r) for r in found])


@router.get("/v1/referrals/unplaced", response_model=ReferralList)
async def unplaced_referrals(
    limit: int = Query(100, ge=1, le=1000), database: Pool = Depends(pool), user: User = Depends(readers)
) -> ReferralList:
    """Referrals no partner could take (none eligible, or all full): a caseworker must act. Within
    the reader's programmes and cases, as every list."""
    found = await store.list_referrals(
        database,
        programmes=user.programme_scope(),
        case_limit=user.case_limit(),
        statuses=[ReferralStatus.UNPLACED],
        limit=limit,
    )
    return ReferralList(referrals=[ReferralOut.of(r) for r in found])
