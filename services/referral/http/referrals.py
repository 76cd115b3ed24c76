"""Where each referral stands, and the referrals that wait for a caseworker (read-only).

Readers who may not see vulnerabilities get each referral without its partner, payload, deadline
and the partner's words (`core/visibility.py`), and may not filter by partner. Every case in an
answer is recorded in the access log before the answer leaves."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from services.referral.core.directory import PARTNER_ID_PATTERN
from services.referral.core.referral import Referral
from services.referral.core.visibility import withheld
from services.referral.store import referrals as store
from shared import access_log
from shared.db import Pool
from shared.events import Category, Priority, ReferralStatus
from shared.http.i18n import N_
from shared.http.params import known_query_only
from shared.http.problems import FORBIDDEN, ProblemError
from shared.identity.model import User
from shared.privacy import Action, Actor, sees_vulnerabilities

from .deps import pool, readers

router = APIRouter(dependencies=[Depends(known_query_only)])


class ReferralOut(BaseModel):
    referral_id: UUID
    case_id: UUID
    category: Category
    # None when no partner holds it, or when you may not see which does (placed_with_partner)
    partner_id: str | None
    placed_with_partner: bool
    status: ReferralStatus
    priority: Priority
    payload: dict[str, Any]
    respond_by: datetime | None
    previous_referral_id: UUID | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    # when a caseworker held it (escalated, not to be re-routed automatically); None: not held
    held_at: datetime | None = None

    @classmethod
    def of(cls, referral: Referral, reader: User) -> ReferralOut:
        shown = referral if sees_vulnerabilities(reader.role) else withheld(referral)
        return cls.model_validate({**asdict(shown), "placed_with_partner": referral.partner_id is not None})


class ReferralList(BaseModel):
    referrals: list[ReferralOut]


async def _answer(database: Pool, reader: User, found: list[Referral], action: Action) -> ReferralList:
    await access_log.record(database, Actor.of(reader), action, (r.case_id for r in found))
    return ReferralList(referrals=[ReferralOut.of(r, reader) for r in found])


@router.get("/v1/referrals", response_model=ReferralList)
async def list_referrals(
    case_id: UUID | None = None,
    # typed as the directory spells partner ids: anything else names no partner
    partner_id: str | None = Query(None, pattern=PARTNER_ID_PATTERN),
    status: ReferralStatus | None = None,
    limit: int = Query(100, ge=1, le=1000),
    database: Pool = Depends(pool),
    reader: User = Depends(readers),
) -> ReferralList:
    """Newest first, within the reader's programmes (and, if they are limited to them, their own or
    their office's cases): another programme's referrals are not there, even by case id.
    `partner_id` is for readers who may see vulnerabilities (others: 403), since the referrals a
    specialised partner holds would name the vulnerable cases."""
    if partner_id is not None and not sees_vulnerabilities(reader.role):
        raise ProblemError(
            FORBIDDEN,
            N_("role %(role)s may not filter referrals by partner"),
            variables={"role": repr(reader.role.value)},
        )
    found = await store.list_referrals(
        database,
        programmes=reader.programme_scope(),
        case_limit=reader.case_limit(),
        case_id=case_id,
        partner_id=partner_id,
        statuses=[status] if status else [],
        limit=limit,
    )
    return await _answer(database, reader, found, Action.READ if case_id else Action.LIST)


@router.get("/v1/referrals/unplaced", response_model=ReferralList)
async def unplaced_referrals(
    limit: int = Query(100, ge=1, le=1000), database: Pool = Depends(pool), reader: User = Depends(readers)
) -> ReferralList:
    """Referrals no partner could take (none eligible, or all full): a caseworker must act. Within
    the reader's programmes and cases, as every list."""
    found = await store.list_referrals(
        database,
        programmes=reader.programme_scope(),
        case_limit=reader.case_limit(),
        statuses=[ReferralStatus.UNPLACED],
        limit=limit,
    )
    return await _answer(database, reader, found, Action.LIST)
