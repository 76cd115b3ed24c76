"""Grants: listing with filters, one grant with its installments, business-plan verification."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from services.grants.core.errors import NotFound
from services.grants.store import grants as grant_store
from services.grants.use_cases.payments import verify_business_plan

from .deps import MAX_OFFSET, Context, Officer, Reader
from .views import GrantView, InstallmentView

router = APIRouter(prefix="/v1/grants", tags=["grants"])

GrantStatusFilter = Literal["awaiting_funding", "open", "closed"]


async def _installments(context: Context, grant_id: UUID) -> list[InstallmentView]:
    rows = await grant_store.list_installments(
        context.pool,
        grant_id=grant_id,
        programme_id=None,
        status=None,
        milestone=None,
        due_by=None,
        limit=1000,
        offset=0,
    )
    return [InstallmentView.of(r) for r in rows]


@router.get("")
async def list_grants(
    context: Context,
    _: Reader,
    programme: str | None = None,
    status: GrantStatusFilter | None = None,
    case_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[GrantView]:
    rows = await grant_store.list_grants(
        context.pool, programme_id=programme, status=status, case_id=case_id, limit=limit, offset=offset
    )
    return [GrantView.of(r) for r in rows]


@router.get("/{grant_id}")
async def show_grant(grant_id: UUID, context: Context, _: Reader) -> GrantView:
    row = await grant_store.grant(context.pool, grant_id)
    if row is None:
        raise NotFound(f"no grant {grant_id}")
    return GrantView.of(row, await _installments(context, grant_id))


@router.post("/{grant_id}/verify-business-plan")
async def business_plan_verified(grant_id: UUID, context: Context, officer: Officer) -> GrantView:
    """The returnee's business plan is verified: the installments that wait for it fall due."""
    await verify_business_plan(context, grant_id, officer)
    return await show_grant(grant_id, context, officer)
