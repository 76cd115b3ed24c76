"""A donor's proof of one payment: it verifies with the file and the public key alone, and any
change to the entries, the audit paths or the checkpoint is refused, naming the entry."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.grants.core.ledger.chain import ChainedEntry
from services.grants.core.ledger.checkpoint import Checkpoint, keys_by_id
from services.grants.core.ledger.merkle import leaf_hash
from services.grants.core.ledger.proof import PaymentProof, build_payment_proof, verify_payment_proof

from .signed_ledger import chained, checkpoints_at, grant_lives, new_signer

SIGNER = new_signer()
KEYS = keys_by_id([SIGNER.public_key])


@pytest.fixture(scope="module")
def proof() -> PaymentProof:
    postings, installments = grant_lives(3)
    entries = chained(postings)
    (checkpoint,) = checkpoints_at(entries, [24], SIGNER)
    installment = UUID(installments[1])
    mine = [e for e in entries if e.installment_id == installment]
    return build_payment_proof(
        installment, mine, [leaf_hash(bytes.fromhex(e.hash)) for e in entries], checkpoint
    )


def test_a_payment_proof_verifies_with_the_public_key_alone(proof: PaymentProof) -> None:
    assert [p.entry.seq for p in proof.entries] == [13, 14, 15, 16]  # the payment and its reversal
    round_tripped = PaymentProof.model_validate_json(proof.model_dump_json())
    verdict = verify_payment_proof(round_tripped, KEYS)
    assert verdict.ok, verdict.text()
    assert verdict.lines[0] == (
        f"VERIFIED: installment {proof.installment_id}: 4 ledger entries are in the ledger checkpoint #1 "
        f"(24 entries, signed 2025-03-01T13:00:00.000000Z) by key {SIGNER.key_id}"
    )
    assert verdict.lines[1].startswith("  disbursement of EUR 180.00 (programme NL-AVRR, grant ")
    assert verdict.lines[2].startswith("  reversal of EUR 180.00")
    # what the donor learns of the rest of the ledger: hashes on the audit paths, nothing else
    assert all(len(h) == 64 for p in proof.entries for h in p.audit_path)


def _changed(proof: PaymentProof, index: int, **changes: object) -> PaymentProof:
    entries = list(proof.entries)
    entries[index] = entries[index].model_copy(update=changes)
    return proof.model_copy(update={"entries": entries})


def _entry(proof: PaymentProof, index: int, **changes: object) -> ChainedEntry:
    return proof.entries[index].entry.model_copy(update=changes)


def test_an_edited_amount_is_refused_naming_the_entry(proof: PaymentProof) -> None:
    edited = _changed(proof, 0, entry=_entry(proof, 0, amount=1_800_000))
    verdict = verify_payment_proof(edited, KEYS)
    assert verdict.lines == [
        f"FAILED at entry 13 (id {proof.entries[0].entry.entry_id}): its hash does not match its content: "
        "the entry was altered"
    ]


def test_an_entry_that_was_not_signed_is_refused(proof: PaymentProof) -> None:
    """A forger who recomputes the entry's hash still cannot reach the signed root."""
    forged = _entry(proof, 0, amount=1_800_000)
    from services.grants.core.ledger.chain import sealed

    verdict = verify_payment_proof(_changed(proof, 0, entry=sealed(forged)), KEYS)
    assert "does not lead to the signed Merkle root" in verdict.text()
    swapped_path = _changed(proof, 0, audit_path=proof.entries[1].audit_path)
    assert not verify_payment_proof(swapped_path, KEYS).ok
    short = _changed(proof, 0, audit_path=proof.entries[0].audit_path[:-1])
    assert "audit path is malformed" in verify_payment_proof(short, KEYS).text()


def test_a_proof_for_another_installment_or_key_is_refused(proof: PaymentProof) -> None:
    other = proof.model_copy(update={"installment_id": UUID(int=7)})
    assert f"not {UUID(int=7)}" in verify_payment_proof(other, KEYS).text()
    assert (
        "not one of the given keys"
        in verify_payment_proof(proof, keys_by_id([new_signer().public_key])).text()
    )
    bigger = proof.checkpoint.model_copy(update={"entry_count": 25})
    assert (
        "valid signature"
        in verify_payment_proof(proof.model_copy(update={"checkpoint": bigger}), KEYS).text()
    )


def test_half_a_transaction_is_refused(proof: PaymentProof) -> None:
    half = proof.model_copy(update={"entries": proof.entries[:1]})
    assert "does not balance" in verify_payment_proof(half, KEYS).text()


def test_nothing_to_prove_is_said_so() -> None:
    entries = chained(grant_lives(1)[0])
    (checkpoint,) = checkpoints_at(entries, [8], SIGNER)
    with pytest.raises(LookupError, match="no entry covered"):
        build_payment_proof(UUID(int=1), [], [leaf_hash(bytes.fromhex(e.hash)) for e in entries], checkpoint)
    assert isinstance(checkpoint, Checkpoint)
