"""Programmes: their balances per currency, and donor funding received."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, Field

from services.grants.core.errors import NotFound
from services.grants.core.policies import Programme, UnknownProgramme
from services.grants.store import grants as grant_store
from services.grants.store import ledger as ledger_store
from services.grants.use_cases.funding import record_funding
from shared.money import Money

from .deps import AsOf, Context, Officer, Reader
from .views import AwaitingFunding, ProgrammeView, programme_balances

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])


async def _views(context: Context, programmes: list[Programme], before: AsOf) -> list[ProgrammeView]:
    balances = programme_balances(await ledger_store.balances_by_kind(context.pool, before=before))
    waiting = await grant_store.waiting_totals(context.pool)
    return [
        ProgrammeView(
            id=p.id,
            name=p.name,
            donor=p.donor,
            currency=p.currency,
            balances=balances.get(p.id, []),
            awaiting_funding=AwaitingFunding(
                grants=waiting.get(p.id, (0, 0))[0], total=waiting.get(p.id, (0, 0))[1]
            ),
        )
        for p in programmes
    ]


@router.get("")
async def list_programmes(context: Context, _: Reader, before: AsOf) -> list[ProgrammeView]:
    return await _views(context, list(context.policies.programmes), before)


@router.get("/{programme_id}")
async def show_programme(programme_id: str, context: Context, _: Reader, before: AsOf) -> ProgrammeView:
    try:
        programme = context.policies.programme(programme_id)
    except UnknownProgramme as error:
        raise NotFound(str(error)) from error
    return (await _views(context, [programme], before))[0]


class FundingReceived(BaseModel):
    amount: Money
    reference: str = Field(min_length=1, max_length=200, description="the donor's transfer reference")


class FundingRecordedView(BaseModel):
    transaction_id: UUID
    replayed: bool
    opened_grants: list[UUID]
    programme: ProgrammeView


@router.post("/{programme_id}/funding", status_code=status.HTTP_201_CREATED)
async def funding(
    programme_id: str,
    body: FundingReceived,
    context: Context,
    officer: Officer,
    response: Response,
    idempotency_key: Annotated[str, Header(min_length=1, max_length=150)],
) -> FundingRecordedView:
    """Record donor funding received. `Idempotency-Key` is required: the same key again is the
    same posting (200, replayed); the same key with a different body is a 409."""
    recorded = await record_funding(
        context,
        programme_id,
        body.amount,
        reference=body.reference,
        idempotency_key=idempotency_key,
        officer=officer,
    )
    if recorded.replayed:
        response.status_code = status.HTTP_200_OK
    programme = (await _views(context, [context.policies.programme(programme_id)], None))[0]
    return FundingRecordedView(
        transaction_id=recorded.transaction_id,
        replayed=recorded.replayed,
        opened_grants=recorded.opened_grants,
        programme=programme,
    )
