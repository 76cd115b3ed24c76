"""Installments: listing with filters; approve, disburse (another officer), record a failure."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import BaseModel, Field

from services.grants.core.errors import NotFound
from services.grants.core.grant import Installment
from services.grants.core.rules import REFERENCE, REFERENCE_DESCRIPTION, Payment, PaymentFailure
from services.grants.store import installments as installment_store
from services.grants.use_cases import payments
from shared import access_log
from shared.events.codes import DisbursementMethod
from shared.http.params import known_query_only
from shared.identity.model import User
from shared.privacy import Action, Actor

from .deps import (
    DATE_SCHEMA,
    MAX_OFFSET,
    Context,
    Officer,
    ProgrammeFilter,
    Reader,
    query_date,
)
from .problems import CONFLICTS
from .views import InstallmentView

router = APIRouter(prefix="/v1/installments", tags=["installments"], dependencies=[Depends(known_query_only)])

InstallmentStatusFilter = Literal["scheduled", "due", "approved", "disbursed", "failed", "cancelled"]
MilestoneFilter = Literal[
    "on_approval",
    "days_after_arrival",
    "business_plan_verified",
    "monitoring_visit",
    "referral_completed",
    "business_operating",
]


@router.get("")
async def list_installments(
    context: Context,
    reader: Reader,
    grant_id: UUID | None = None,
    programme: ProgrammeFilter = None,
    status: InstallmentStatusFilter | None = None,
    milestone: MilestoneFilter | None = None,
    due_by: Annotated[
        str | None, Query(description="due on this date or before", json_schema_extra=DATE_SCHEMA)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[InstallmentView]:
    installments = await installment_store.list_installments(
        context.pool,
        programmes=reader.programme_scope(),
        grant_id=grant_id,
        programme_id=programme,
        status=status,
        milestone=milestone,
        due_by=query_date(due_by, name="due_by"),
        limit=limit,
        offset=offset,
    )
    await access_log.record(context.pool, Actor.of(reader), Action.LIST, (i.case_id for i in installments))
    return [InstallmentView.of(i, reader) for i in installments]


@router.get("/{installment_id}")
async def show_installment(installment_id: UUID, context: Context, reader: Reader) -> InstallmentView:
    installment = await installment_store.installment(context.pool, installment_id)
    if installment is None or not reader.may_see_programme(installment.programme_id):
        raise NotFound(f"no installment {installment_id}")
    await access_log.record(context.pool, Actor.of(reader), Action.READ, [installment.case_id])
    return InstallmentView.of(installment, reader)


async def _paid(context: Context, officer: User, installment: Installment) -> InstallmentView:
    """The installment a payment step left, recorded in the access log as the officer's."""
    await access_log.record(context.pool, Actor.of(officer), Action.PAY, [installment.case_id])
    return InstallmentView.of(installment, officer)


@router.post("/{installment_id}/approve", responses=CONFLICTS)
async def approve(installment_id: UUID, context: Context, officer: Officer) -> InstallmentView:
    return await _paid(context, officer, await payments.approve(context, installment_id, officer))


class Disbursement(BaseModel):
    method: DisbursementMethod
    # both go into the hash-chained ledger, never erased: references, not free text
    payment_reference: str = Field(pattern=REFERENCE, description=REFERENCE_DESCRIPTION)
    supplier: str | None = Field(
        default=None,
        max_length=200,
        description="kept on the installment (erased with the case), not in the ledger",
    )
    invoice_number: str | None = Field(default=None, pattern=REFERENCE, description=REFERENCE_DESCRIPTION)


@router.post("/{installment_id}/disburse", responses=CONFLICTS)
async def disburse(
    installment_id: UUID,
    body: Disbursement,
    context: Context,
    officer: Officer,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=150)] = None,
) -> InstallmentView:
    """Pay an approved installment; the officer must not be the one who approved it."""
    installment, replayed = await payments.disburse(
        context, installment_id, Payment(**body.model_dump()), officer, idempotency_key
    )
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return await _paid(context, officer, installment)


class Failure(BaseModel):
    reason: PaymentFailure = Field(
        description="why the payment failed or came back (a code: it goes into the ledger)"
    )


@router.post("/{installment_id}/fail", status_code=status.HTTP_200_OK, responses=CONFLICTS)
async def fail(installment_id: UUID, body: Failure, context: Context, officer: Officer) -> InstallmentView:
    """A failed or returned payment: the disbursement is reversed in the ledger. Recorded by an
    officer other than the one who disbursed it (403 four-eyes otherwise)."""
    return await _paid(
        context, officer, await payments.record_failure(context, installment_id, body.reason, officer)
    )
