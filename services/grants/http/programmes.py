"""Programmes: their balances per currency, and donor funding received."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Response, status
from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from services.grants.core.errors import NotFound
from services.grants.core.policies import Programme, UnknownProgramme
from services.grants.core.rules import REFERENCE, REFERENCE_DESCRIPTION
from services.grants.store import ledger_reads
from services.grants.store import programmes as programme_store
from services.grants.use_cases.funding import record_funding
from shared.http.params import known_query_only
from shared.money import MINOR_UNITS, MinorUnits, Money

from .deps import AsOf, Context, Officer, Reader
from .problems import CONFLICTS
from .views import AwaitingFunding, ProgrammeView, programme_balances

# the largest integer every JSON reader holds exactly (IEEE 754 doubles): far beyond any donor's
# transfer, and the OpenAPI document states it without rounding
MAX_JSON_INTEGER = 2**53 - 1

router = APIRouter(prefix="/v1/programmes", tags=["programmes"], dependencies=[Depends(known_query_only)])


async def programme_views(
    context: Context, programmes: list[Programme], before: datetime | None
) -> list[ProgrammeView]:
    """The views of `programmes` (already within the reader's scope)."""
    ids = [p.id for p in programmes]
    balances = programme_balances(
        await ledger_reads.balances_by_kind(context.pool, programmes=ids, before=before)
    )
    waiting = await programme_store.awaiting_funding(context.pool)
    nothing = programme_store.WaitingGrants(grants=0, total=0)
    return [
        ProgrammeView(
            id=p.id,
            name=p.name,
            donor=p.donor,
            currency=p.currency,
            balances=balances.get(p.id, []),
            awaiting_funding=AwaitingFunding(grants=(w := waiting.get(p.id, nothing)).grants, total=w.total),
        )
        for p in programmes
    ]


@router.get("")
async def list_programmes(context: Context, reader: Reader, before: AsOf) -> list[ProgrammeView]:
    """The reader's programmes."""
    visible = [p for p in context.policies.programmes if reader.may_see_programme(p.id)]
    return await programme_views(context, visible, before)


@router.get("/{programme_id}")
async def show_programme(programme_id: str, context: Context, reader: Reader, before: AsOf) -> ProgrammeView:
    """Another programme than the reader's is, to them, no programme (404)."""
    try:
        programme = context.policies.programme(programme_id)
    except UnknownProgramme as error:
        raise NotFound(str(error)) from error
    if not reader.may_see_programme(programme.id):  # answered as a programme that does not exist
        raise NotFound(f"no donor programme {programme_id!r} in the policy file")
    return (await programme_views(context, [programme], before))[0]


class FundingAmount(BaseModel):
    """Money received: a positive amount in minor units of a known ISO 4217 currency (the
    programme's own: a rule the schema cannot state, checked when the funding is recorded)."""

    model_config = ConfigDict(extra="forbid")

    amount: MinorUnits = Field(json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_JSON_INTEGER})
    currency: str = Field(json_schema_extra={"enum": list[JsonValue](sorted(MINOR_UNITS))})

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: int) -> int:
        # the messages say what the finance officer did wrong, not pydantic's bounds
        if amount <= 0:
            raise ValueError("funding received is a positive amount")
        if amount > MAX_JSON_INTEGER:
            raise ValueError(f"more than a JSON number carries exactly ({MAX_JSON_INTEGER})")
        return amount

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        if code not in MINOR_UNITS:
            raise ValueError(f"unknown ISO 4217 currency {code!r}")
        return code


class FundingReceived(BaseModel):
    amount: FundingAmount
    # written into the hash-chained ledger, never erased: a reference, not free text
    reference: str = Field(
        pattern=REFERENCE, description=f"the donor's transfer reference: {REFERENCE_DESCRIPTION}"
    )


class FundingRecordedView(BaseModel):
    transaction_id: UUID
    replayed: bool
    opened_grants: list[UUID]
    programme: ProgrammeView


@router.post(
    "/{programme_id}/funding",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": FundingRecordedView, "description": "The same key and body again: recorded before"},
        **CONFLICTS,
    },
)
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
        Money(amount=body.amount.amount, currency=body.amount.currency),
        reference=body.reference,
        idempotency_key=idempotency_key,
        officer=officer,
    )
    if recorded.replayed:
        response.status_code = status.HTTP_200_OK
    programme = (await programme_views(context, [context.policies.programme(programme_id)], None))[0]
    return FundingRecordedView(
        transaction_id=recorded.transaction_id,
        replayed=recorded.replayed,
        opened_grants=recorded.opened_grants,
        programme=programme,
    )
