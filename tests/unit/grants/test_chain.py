"""chain.py: the canonical form, the chain, and the verdict that names the first bad entry."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.grants.core.ledger.audit import verify_entries
from services.grants.core.ledger.chain import (
    FIELDS_BY_VERSION,
    GENESIS_HASH,
    ChainedEntry,
    as_text,
    canonical_form,
    entry_hash,
    sealed,
)
from services.grants.core.ledger.export import ExportFormatError, read_csv, write_csv
from services.grants.core.ledger.journal import journal_entries
from services.grants.core.ledger.postings import Posting, commitment, disbursement, funding_received, reversal
from shared.money import Money

PROGRAMME = "NL-AVRR"


def a_grants_life() -> list[Posting]:
    grant, installment = uuid4(), uuid4()
    paid = disbursement(
        PROGRAMME, grant, installment, Money(amount=18_000, currency="EUR"), idempotency_key="d1", memo="x"
    )
    return [
        funding_received(
            PROGRAMME, Money(amount=1_000_000, currency="EUR"), idempotency_key="f1", reference="NL-2025-1"
        ),
        commitment(PROGRAMME, grant, Money(amount=180_000, currency="EUR")),
        paid,
        reversal(paid, uuid4(), memo="payment returned: account closed"),
    ]


def chained(postings: list[Posting]) -> list[ChainedEntry]:
    entries: list[ChainedEntry] = []
    for posting in postings:
        last = entries[-1] if entries else None
        entries += journal_entries(
            posting,
            transaction_id=uuid4(),
            recorded_by="fin-a",
            recorded_at=datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
            after_seq=last.seq if last else 0,
            after_hash=last.hash if last else GENESIS_HASH,
        )
    return entries


def test_journal_entries_are_the_validated_entries_sealed_by_entry_hash() -> None:
    """The journal builds entries without validation and hashes their values directly: the result
    must be exactly the validated model, sealed as `entry_hash` seals it."""
    for entry in chained(a_grants_life()):
        validated = ChainedEntry.model_validate(entry.model_dump())
        assert validated == entry
        assert sealed(validated).hash == entry.hash == entry_hash(validated)


def test_an_untouched_chain_verifies() -> None:
    entries = chained(a_grants_life())
    verdict = verify_entries(entries)
    assert verdict.ok
    assert verdict.entries_checked == 8
    assert verdict.transactions_checked == 4
    assert verdict.head_hash == entries[-1].hash
    assert verdict.line().startswith("OK: 8 entries in 4 transactions")
    assert entries[0].prev_hash == GENESIS_HASH


def test_the_canonical_form_is_stable_text() -> None:
    entry = chained(a_grants_life())[0]
    form = canonical_form(entry).decode()
    assert form.startswith(
        '{"account":"programme/NL-AVRR/available","account_kind":"available","amount":"1000000"'
    )
    assert '"recorded_at":"2025-03-01T12:00:00.123456Z"' in form
    assert '"hash"' not in form  # the hash covers everything but itself


@given(st.text(max_size=60), st.text(max_size=20))
def test_the_canonical_form_is_json_with_sorted_keys(memo, key) -> None:  # type: ignore[no-untyped-def]
    """Built by hand for speed, it must stay byte for byte what json.dumps writes (any text in
    the memo and the key: quotes, control characters, non-ASCII, surrogates)."""
    for entry in chained(
        [commitment("NL-AVRR", uuid4(), Money(amount=5, currency="EUR"), idempotency_key=key, memo=memo)]
    ):
        texts = {name: as_text(getattr(entry, name)) for name in FIELDS_BY_VERSION[entry.hash_version]}
        assert canonical_form(entry) == json.dumps(texts, sort_keys=True, separators=(",", ":")).encode()


def test_a_new_entry_is_hashed_over_every_stored_column_of_it_and_its_transaction() -> None:
    """Version 2: the columns version 1 left out (account_kind, the transaction's programme,
    grant, fingerprint and recorded_at) and the version itself are in the canonical form."""
    entry = chained(a_grants_life())[2]  # the commitment's debit: a grant's line
    assert entry.hash_version == 2
    form = json.loads(canonical_form(entry))
    assert {
        "hash_version": "2",
        "account_kind": "committed",
        "transaction_programme_id": PROGRAMME,
        "transaction_grant_id": str(entry.grant_id),
        "transaction_fingerprint": entry.transaction_fingerprint,
        "transaction_recorded_at": "2025-03-01T12:00:00.123456Z",
    }.items() <= form.items()
    stored_columns = set(ChainedEntry.model_fields) - {"hash"}
    assert set(form) == stored_columns


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 18_001}, "amount"),
        ({"account": "programme/NL-AVRR/available"}, "account"),
        ({"recorded_by": "someone-else"}, "recorded_by"),
        ({"memo": "nothing to see"}, "memo"),
        ({"recorded_at": datetime(2025, 3, 2, tzinfo=UTC)}, "recorded_at"),
    ],
)
def test_an_altered_entry_is_named(change, field) -> None:  # type: ignore[no-untyped-def]
    entries = chained(a_grants_life())
    entries[4] = entries[4].model_copy(update=change)
    verdict = verify_entries(entries)
    assert not verdict.ok, field
    assert (verdict.first_bad_seq, verdict.first_bad_entry_id) == (5, entries[4].entry_id)
    assert "stored hash does not match its content" in (verdict.problem or "")
    assert verdict.line().startswith(f"FAILED at entry 5 (id {entries[4].entry_id})")


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = chained(a_grants_life())
    entries[2] = sealed(entries[2].model_copy(update={"amount": 1}))
    verdict = verify_entries(entries)
    assert verdict.first_bad_seq == 4
    assert "prev_hash" in (verdict.problem or "")


def test_a_removed_entry_is_found() -> None:
    entries = chained(a_grants_life())
    del entries[3]
    verdict = verify_entries(entries)
    assert verdict.first_bad_seq == 5
    assert "jumps from 3 to 5" in (verdict.problem or "")


def test_a_rechained_forgery_that_does_not_balance_is_still_refused() -> None:
    entries = chained(a_grants_life())
    entries[0] = entries[0].model_copy(update={"amount": 999})
    forged, previous = [], GENESIS_HASH
    for entry in entries:  # the forger recomputes every hash from the start
        entry = sealed(entry.model_copy(update={"prev_hash": previous}))
        forged.append(entry)
        previous = entry.hash
    verdict = verify_entries(forged)
    assert not verdict.ok
    assert verdict.first_bad_seq == 1
    assert "does not balance in EUR" in (verdict.problem or "")


def test_an_export_reads_back_to_the_same_entries_and_verdict() -> None:
    entries = chained(a_grants_life())
    text = io.StringIO()
    write_csv(entries, text)
    back = list(read_csv(io.StringIO(text.getvalue())))
    assert back == entries
    assert all(entry_hash(e) == e.hash for e in back)


def test_a_file_that_is_not_an_export_is_refused() -> None:
    with pytest.raises(ExportFormatError, match="missing columns"):
        list(read_csv(io.StringIO("a,b\n1,2\n")))
    entries = chained(a_grants_life())
    text = io.StringIO()
    write_csv(entries, text)
    broken = text.getvalue().replace(",1000000,", ",a lot,", 1)
    with pytest.raises(ExportFormatError, match="line 2"):
        list(read_csv(io.StringIO(broken)))


@given(st.lists(st.integers(1, 10**12), min_size=1, max_size=10), st.text(max_size=40))
def test_any_ledger_round_trips_through_csv_and_verifies(amounts, memo) -> None:  # type: ignore[no-untyped-def]
    postings = [
        funding_received(PROGRAMME, Money(amount=a, currency="EUR"), idempotency_key=f"k{i}", reference=memo)
        for i, a in enumerate(amounts)
    ]
    entries = chained(postings)
    text = io.StringIO()
    write_csv(entries, text)
    assert verify_entries(read_csv(io.StringIO(text.getvalue()))).ok
