"""Grants: listing with filters, one grant with its installments, business-plan verification."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from services.grants.core.errors import NotFound
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.use_cases.milestones import verify_business_plan
from shared import access_log
from shared.http.params import known_query_only
from shared.privacy import Action, Actor

from .deps import MAX_OFFSET, Context, Officer, ProgrammeFilter, Reader
from .problems import CONFLICTS
from .views import GrantView, InstallmentView

router = APIRouter(prefix="/v1/grants", tags=["grants"], dependencies=[Depends(known_query_only)])

GrantStatusFilter = Literal["awaiting_funding", "open", "closed"]


@router.get("")
async def list_grants(
    context: Context,
    reader: Reader,
    programme: ProgrammeFilter = None,
    status: GrantStatusFilter | None = None,
    case_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[GrantView]:
    """Within the reader's programmes: another programme's grants are not there."""
    grants = await grant_store.list_grants(
        context.pool,
        programmes=reader.programme_scope(),
        programme_id=programme,
        status=status,
        case_id=case_id,
        limit=limit,
        offset=offset,
    )
    await access_log.record(context.pool, Actor.of(reader), Action.LIST, (g.case_id for g in grants))
    return [GrantView.of(g, reader) for g in grants]


@router.get("/{grant_id}")
async def show_grant(grant_id: UUID, context: Context, reader: Reader) -> GrantView:
    """A grant of another programme is, to the reader, no grant at all (404)."""
    grant = await grant_store.grant(context.pool, grant_id)
    if grant is None or not reader.may_see_programme(grant.programme_id):
        raise NotFound(f"no grant {grant_id}")
    installments = await installment_store.installments_of(context.pool, grant_id)
    await access_log.record(context.pool, Actor.of(reader), Action.READ, [grant.case_id])
    return GrantView.of(grant, reader, [InstallmentView.of(i, reader) for i in installments])


@router.post("/{grant_id}/verify-business-plan", responses=CONFLICTS)
async def business_plan_verified(grant_id: UUID, context: Context, officer: Officer) -> GrantView:
    """The returnee's business plan is verified: the installments that wait for it fall due."""
    await verify_business_plan(context, grant_id, officer)
    return await show_grant(grant_id, context, officer)
