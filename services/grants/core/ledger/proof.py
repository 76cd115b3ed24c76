"""A proof of one installment's payment that a donor checks with the file and the public key alone.

The file holds the installment's ledger entries (every line of every transaction that names it:
the disbursement, and a reversal if the payment came back), each with its RFC 9162 audit path to
the Merkle root of a signed checkpoint, and that checkpoint. Checking it:
1. the checkpoint is signed by the donor's copy of the public key;
2. each entry's hash is recomputed from its content (the chain's canonical form);
3. each entry hash, as leaf `seq - 1`, leads up its audit path to the signed root;
4. each transaction balances and its lines agree on the transaction's columns.
The other entries of the ledger show only as hashes on the audit paths: nothing about other
returnees, grants or programmes is in the file. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Final, Literal
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field

from shared.money import Money

from .chain import FIELDS_BY_VERSION, ChainedEntry, as_text, entry_hash
from .checkpoint import Checkpoint, signature_problem
from .columns import transaction_problem
from .merkle import InclusionProofError, inclusion_path, leaf_hash, root_from_inclusion

PROOF_FORMAT: Final = "homeward-payment-proof/1"


class ProvenEntry(BaseModel):
    entry: ChainedEntry
    audit_path: list[str] = Field(description="hex SHA-256 node hashes, leaf to root (RFC 9162 PATH)")


class PaymentProof(BaseModel):
    """What `homeward ledger prove INSTALLMENT` writes and `verify-proof` reads."""

    format: Literal["homeward-payment-proof/1"] = PROOF_FORMAT
    installment_id: UUID
    leaf: str = Field(
        default="sha256(0x00 || entry hash bytes); nodes sha256(0x01 || left || right); leaf index = seq - 1",
        description="how the tree is hashed (RFC 9162 section 2.1)",
    )
    checkpoint: Checkpoint
    entries: list[ProvenEntry]


class ProofNotPossible(LookupError):
    """The installment has no ledger entry that a signed checkpoint covers yet."""


def build_payment_proof(
    installment_id: UUID,
    entries: Sequence[ChainedEntry],
    hashed_leaves: Sequence[bytes],
    checkpoint: Checkpoint,
) -> PaymentProof:
    """The proof for `entries` (the installment's, every one at or below the checkpoint) against
    `checkpoint`, given the hashed leaves of the tree it signed (`leaf_hash` of entries
    1..entry_count, in order)."""
    if len(hashed_leaves) != checkpoint.entry_count:
        raise ValueError(
            f"{checkpoint.describe()} needs {checkpoint.entry_count} leaves, not {len(hashed_leaves)}"
        )
    if not entries:
        raise ProofNotPossible(
            f"installment {installment_id} has no entry covered by {checkpoint.describe()}"
        )
    return PaymentProof(
        installment_id=installment_id,
        checkpoint=checkpoint,
        entries=[
            ProvenEntry(entry=e, audit_path=[h.hex() for h in inclusion_path(e.seq - 1, hashed_leaves)])
            for e in entries
        ],
    )


class ProofVerdict(BaseModel):
    ok: bool
    lines: list[str]

    def text(self) -> str:
        return "\n".join(self.lines)


def verify_payment_proof(proof: PaymentProof, public_keys: Mapping[str, Ed25519PublicKey]) -> ProofVerdict:
    checkpoint = proof.checkpoint
    problem = signature_problem(checkpoint, public_keys)
    if problem is not None:
        return ProofVerdict(ok=False, lines=[f"FAILED: {problem}"])
    if not proof.entries:
        return ProofVerdict(ok=False, lines=["FAILED: the proof holds no entry"])
    for proven in proof.entries:
        problem = _entry_problem(proof.installment_id, proven, checkpoint)
        if problem is not None:
            entry = proven.entry
            return ProofVerdict(
                ok=False, lines=[f"FAILED at entry {entry.seq} (id {entry.entry_id}): {problem}"]
            )
    entries = [p.entry for p in proof.entries]
    summaries = []
    for _, lines in groupby(entries, key=lambda e: e.transaction_id):
        transaction = list(lines)
        problem = transaction_problem(transaction)
        if problem is not None:
            first = transaction[0]
            return ProofVerdict(
                ok=False, lines=[f"FAILED at entry {first.seq} (id {first.entry_id}): {problem}"]
            )
        summaries.append(_summary(transaction))
    return ProofVerdict(
        ok=True,
        lines=[
            f"VERIFIED: installment {proof.installment_id}: {len(entries)} ledger entries are in the ledger "
            f"{checkpoint.describe()} by key {checkpoint.key_id}",
            *summaries,
        ],
    )


def _entry_problem(installment_id: UUID, proven: ProvenEntry, checkpoint: Checkpoint) -> str | None:
    entry = proven.entry
    if entry.installment_id != installment_id:
        return f"it belongs to installment {entry.installment_id}, not {installment_id}"
    if entry.hash_version not in FIELDS_BY_VERSION:
        return f"its hash version {entry.hash_version} is not one this verifier knows"
    if len(entry.hash) != 64 or entry_hash(entry) != entry.hash:
        return "its hash does not match its content: the entry was altered"
    if not 1 <= entry.seq <= checkpoint.entry_count:
        return f"it is not among the {checkpoint.entry_count} entries {checkpoint.describe()} covers"
    if entry.seq == checkpoint.entry_count and entry.hash != checkpoint.head_hash:
        return "it is the checkpoint's last entry, but not the one it signed"
    try:
        path = [bytes.fromhex(h) for h in proven.audit_path]
        root = root_from_inclusion(
            entry.seq - 1, checkpoint.entry_count, leaf_hash(bytes.fromhex(entry.hash)), path
        )
    except (InclusionProofError, ValueError) as error:
        return f"its audit path is malformed: {error}"
    if root.hex() != checkpoint.merkle_root:
        return "its audit path does not lead to the signed Merkle root: it is not the entry that was signed"
    return None


def _summary(transaction: list[ChainedEntry]) -> str:
    first = transaction[0]
    debits = [e for e in transaction if e.direction == "debit"]
    amounts = ", ".join(str(Money(amount=e.amount, currency=e.currency)) for e in debits)
    seqs = f"{transaction[0].seq}-{transaction[-1].seq}" if len(transaction) > 1 else str(first.seq)
    moved = "; ".join(
        f"{e.direction} {e.account} {Money(amount=e.amount, currency=e.currency)}" for e in transaction
    )
    return (
        f"  {first.kind} of {amounts} (programme {first.programme_id}, grant "
        f"{first.transaction_grant_id or first.grant_id}), recorded {as_text(first.recorded_at)} by "
        f"{first.recorded_by}, memo {first.memo!r}: entries {seqs} ({moved})"
    )
