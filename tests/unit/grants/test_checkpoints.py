"""The chain against signed checkpoints, offline: what an insider who can write the database can
and cannot get past an auditor holding the public key."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest

from services.grants.core.ledger.audit import verify_entries
from services.grants.core.ledger.chain import ChainedEntry
from services.grants.core.ledger.checkpoint import Checkpoint, keys_by_id

from .signed_ledger import SIGNED_AT, chained, checkpoints_at, grant_lives, new_signer, rechained

SIGNER = new_signer()
KEYS = keys_by_id([SIGNER.public_key])


@pytest.fixture(scope="module")
def ledger() -> list[ChainedEntry]:
    return chained(grant_lives(3)[0])  # 24 entries


@pytest.fixture(scope="module")
def signed(ledger: list[ChainedEntry]) -> list[Checkpoint]:
    return checkpoints_at(ledger, [8, 16, 24], SIGNER)


def test_an_untouched_ledger_is_covered_by_its_last_checkpoint(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    verdict = verify_entries(ledger, signed, KEYS)
    assert verdict.ok, verdict.line()
    assert (verdict.covered_by_checkpoint, verdict.covered_entries) == (3, 24)
    assert verdict.line().endswith(
        "covered up to entry 24 by signed checkpoint #3 (2025-03-01T13:02:00.000000Z, the latest of 3 given)"
    )
    newer = verify_entries(ledger, signed[:2], KEYS)
    assert newer.ok
    assert newer.line().endswith("entries 17-24 are newer than every checkpoint given")


def test_a_cut_off_tail_is_refused_naming_the_first_missing_entry(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    assert verify_entries(ledger[:12]).ok  # whole transactions cut: the chain alone cannot tell
    verdict = verify_entries(ledger[:12], signed, KEYS)
    assert not verdict.ok
    assert (verdict.first_bad_seq, verdict.first_bad_entry_id) == (13, None)
    assert verdict.line() == (
        "FAILED at entry 13 (missing from the file): the entries end at 12, but checkpoint #3 "
        "(24 entries, signed 2025-03-01T13:02:00.000000Z) covers 24: entries 13-24 were cut off"
    )


def test_an_edited_entry_is_named(ledger: list[ChainedEntry], signed: list[Checkpoint]) -> None:
    edited = list(ledger)
    edited[10] = edited[10].model_copy(update={"amount": edited[10].amount * 10})
    verdict = verify_entries(edited, signed, KEYS)
    assert (verdict.first_bad_seq, verdict.first_bad_entry_id) == (11, ledger[10].entry_id)
    assert "stored hash does not match its content" in (verdict.problem or "")


def test_a_ledger_rewritten_with_every_hash_recomputed_is_refused_at_the_next_checkpoint(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    # both lines of the second grant's payment (entries 13-14), so every transaction still balances
    forged = ledger[:12] + [e.model_copy(update={"amount": 90_000}) for e in ledger[12:14]] + ledger[14:]
    forged = rechained(forged)
    assert verify_entries(forged).ok  # the chain alone cannot tell
    verdict = verify_entries(forged, signed, KEYS)
    assert not verdict.ok
    assert (verdict.first_bad_seq, verdict.first_bad_entry_id) == (16, forged[15].entry_id)
    assert verdict.problem == (
        f"checkpoint #2 (16 entries, signed 2025-03-01T13:01:00.000000Z) signed a different entry 16 "
        f"(hash {ledger[15].hash}; this one's is {forged[15].hash}): the ledger was rewritten, every hash "
        "after the change recomputed; the change lies in entries 9-16 (checkpoint #1 (8 entries, signed "
        "2025-03-01T13:00:00.000000Z) still matches)"
    )


def test_a_checkpoint_the_key_did_not_sign_is_refused(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    forged_key = new_signer()
    forged = checkpoints_at(rechained(ledger), [24], forged_key)
    verdict = verify_entries(ledger, forged, KEYS)
    assert verdict.line() == (
        f"FAILED: checkpoint #1 (24 entries, signed 2025-03-01T13:00:00.000000Z) names key "
        f"{forged_key.key_id}, which is not one of the given keys"
    )
    relabelled = signed[2].model_copy(update={"entry_count": 23, "head_hash": ledger[22].hash})
    assert "does not carry a valid signature" in (verify_entries(ledger, [relabelled], KEYS).problem or "")
    garbage = signed[2].model_copy(update={"signature": base64.b64encode(b"x" * 64).decode()})
    assert not verify_entries(ledger, [garbage], KEYS).ok
    assert "not one of the given keys" in (verify_entries(ledger, signed, {}).problem or "")


def test_two_signed_ledgers_of_one_length_are_refused(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    other = checkpoints_at(rechained(ledger, recorded_by="someone"), [8], SIGNER)
    verdict = verify_entries(ledger, [*signed, *other], KEYS)
    assert "record different ledgers of the same length" in (verdict.problem or "")


def test_the_same_checkpoint_from_two_sources_counts_once(
    ledger: list[ChainedEntry], signed: list[Checkpoint]
) -> None:
    assert verify_entries(ledger, [*signed, *signed], KEYS).checkpoints_given == 3


@pytest.fixture(scope="module")
def legacy(ledger: list[ChainedEntry]) -> list[ChainedEntry]:
    """The same ledger as it was written before version 2: version-1 hashes, which leave out
    account_kind and the transaction's programme, grant, fingerprint and recorded_at."""
    return rechained(ledger, hash_version=1)


def test_entries_written_before_the_full_form_keep_verifying(legacy: list[ChainedEntry]) -> None:
    assert all(e.hash_version == 1 for e in legacy)
    assert verify_entries(legacy).ok


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("account_kind", "available", "is not the kind of its account"),
        ("transaction_programme_id", "DE-STARTHILFEPLUS", "is not the programme of its account"),
        ("transaction_fingerprint", "0" * 64, "fingerprint is not the fingerprint of its lines"),
        ("transaction_recorded_at", SIGNED_AT, "recorded_at is not its own"),
    ],
)
def test_a_column_outside_a_version_1_hash_is_still_checked(
    legacy: list[ChainedEntry], column: str, value: object, problem: str
) -> None:
    """Entries 13-14 are a payment; an insider changes a column its version-1 hash does not cover,
    on both lines (the transaction's columns are one row in the database)."""
    changed = legacy[:12] + [e.model_copy(update={column: value}) for e in legacy[12:14]] + legacy[14:]
    verdict = verify_entries(changed)
    assert not verdict.ok, column
    assert verdict.first_bad_seq == 13
    assert problem in (verdict.problem or "")


def test_a_transactions_grant_outside_a_version_1_hash_is_still_checked(legacy: list[ChainedEntry]) -> None:
    grant = uuid4()
    changed = legacy[:8] + [e.model_copy(update={"transaction_grant_id": grant}) for e in legacy[8:10]]
    verdict = verify_entries(changed + legacy[10:])
    assert verdict.first_bad_seq == 9  # a funding: no grant at all
    assert "is not the grant of its lines" in (verdict.problem or "")


def test_relabelling_the_hash_version_does_not_pass(legacy: list[ChainedEntry]) -> None:
    relabelled = list(legacy)
    relabelled[4] = relabelled[4].model_copy(update={"hash_version": 2})
    assert verify_entries(relabelled).first_bad_seq == 5


def test_the_policy_signs_every_n_entries_or_m_minutes_and_at_shutdown_never_for_nothing() -> None:
    from datetime import timedelta

    from services.grants.core.ledger.checkpoint import CheckpointPolicy

    policy = CheckpointPolicy(every_entries=100, every=timedelta(minutes=10))
    old, now = SIGNED_AT, SIGNED_AT + timedelta(minutes=10)
    assert policy.reason(waiting=100, oldest_waiting_at=now, now=now) == "entries"
    assert policy.reason(waiting=99, oldest_waiting_at=now, now=now) is None
    assert policy.reason(waiting=2, oldest_waiting_at=old, now=now) == "interval"
    assert policy.reason(waiting=2, oldest_waiting_at=old + timedelta(seconds=1), now=now) is None
    assert policy.reason(waiting=2, oldest_waiting_at=now, now=now, shutdown=True) == "shutdown"
    assert policy.reason(waiting=0, oldest_waiting_at=None, now=now, shutdown=True) is None
