"""What auditors and donors check the ledger against: the signed checkpoints, and the proof of one
installment's payment (`homeward ledger verify-proof FILE --public-key KEY`)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from services.grants.core.ledger.checkpoint import Checkpoint
from services.grants.core.ledger.proof import PaymentProof
from services.grants.store import checkpoints as checkpoint_store
from services.grants.use_cases.proofs import payment_proof
from shared.http.params import known_query_only

from .deps import MAX_BIGINT, Context, Reader
from .problems import CONFLICTS

router = APIRouter(tags=["ledger"], dependencies=[Depends(known_query_only)])


@router.get("/v1/ledger/checkpoints")
async def list_checkpoints(
    context: Context,
    _: Reader,
    after_number: Annotated[
        int, Query(ge=0, le=MAX_BIGINT, description="continue after this checkpoint")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[Checkpoint]:
    """Signed checkpoints in signing order: save them beside an export (`ledger.checkpoints.json`)
    and `homeward ledger verify` checks the export against them. Check the signatures with the
    public key you were given, never with one this service names."""
    return await checkpoint_store.listed(context.pool, after_number=after_number, limit=limit)


@router.get("/v1/installments/{installment_id}/proof", responses=CONFLICTS)
async def installment_payment_proof(installment_id: UUID, context: Context, _: Reader) -> PaymentProof:
    """The proof of one installment's payment for its donor: its ledger entries with their Merkle
    audit paths to the latest signed checkpoint. 409 while the installment has no payment, or one
    newer than that checkpoint."""
    return await payment_proof(context.pool, installment_id)
