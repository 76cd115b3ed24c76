"""A donor's proof of one installment's payment (core/ledger/proof.py), against the latest signed
checkpoint."""

from __future__ import annotations

from uuid import UUID

from services.grants.core.errors import Conflict, NotFound
from services.grants.core.ledger.merkle import leaf_hash
from services.grants.core.ledger.proof import PaymentProof, build_payment_proof
from services.grants.store import checkpoints as checkpoint_store
from services.grants.store import installments as installment_store
from services.grants.store import ledger_reads
from shared.db import Pool

_EVERY_ENTRY = 2**63 - 1


async def payment_proof(pool: Pool, installment_id: UUID) -> PaymentProof:
    """Every ledger entry of the installment (its payments and their reversals) with its audit path
    to the latest checkpoint. Refused while any of them is newer than that checkpoint: a proof of
    the payment without the reversal that followed it would mislead."""
    if await installment_store.installment(pool, installment_id) is None:
        raise NotFound(f"no installment {installment_id}")
    entries = await ledger_reads.installment_entries(pool, installment_id, upto=_EVERY_ENTRY)
    if not entries:
        raise Conflict(f"installment {installment_id} has no payment in the ledger")
    latest = await checkpoint_store.latest(pool)
    covered = latest.checkpoint.entry_count if latest else 0
    if latest is None or entries[-1].seq > covered:
        raise Conflict(
            f"entry {entries[-1].seq} of installment {installment_id} is newer than the last signed "
            f"checkpoint (which covers {covered} entries); ask again after the next one"
        )
    hashes = await ledger_reads.entry_hashes(pool, upto=covered)
    return build_payment_proof(installment_id, entries, [leaf_hash(h) for h in hashes], latest.checkpoint)
