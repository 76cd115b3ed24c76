"""The ledger's hash chain: one canonical form per entry, SHA-256 chained to the previous entry.

The database (when appending and in `GET /v1/ledger/verify`) and the offline check
(`homeward ledger verify FILE.csv`) use this module and nothing else, so an auditor with only the
CSV export recomputes exactly what the service computed. Pure.

    hash(entry) = sha256( canonical JSON of the entry's fields, including prev_hash )
    prev_hash(first entry) = 64 zeros

Two canonical forms, named by each entry's `hash_version`:
- 1 (entries written before version 2 existed): the entry's own columns and its transaction's kind,
  key, reversal, installment, memo and author — not `account_kind`, nor the transaction's
  programme, grant, fingerprint and recorded_at. Those are still checked, as what they must be: the
  verifier (`audit`) derives each from the hashed fields and refuses an entry where they differ.
- 2 (every entry written now): every stored column of the entry and of its transaction, the
  version itself included (a version-1 entry relabelled 2, or the reverse, no longer matches).
Entries already written keep their version and their hash; nothing is rewritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

GENESIS_HASH = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
CURRENT_HASH_VERSION = 2

# The fields the version-1 hash covers, in export order.
CHAINED_FIELDS = (
    "seq",
    "entry_id",
    "transaction_id",
    "kind",
    "idempotency_key",
    "reverses",
    "programme_id",
    "grant_id",
    "installment_id",
    "account",
    "direction",
    "amount",
    "currency",
    "memo",
    "recorded_by",
    "recorded_at",
    "prev_hash",
)
# What version 2 covers besides: the rest of the stored columns of the entry and its transaction.
FULL_FORM_FIELDS = (
    "hash_version",
    "account_kind",
    "transaction_programme_id",
    "transaction_grant_id",
    "transaction_fingerprint",
    "transaction_recorded_at",
)
FIELDS_BY_VERSION: dict[int, tuple[str, ...]] = {
    1: CHAINED_FIELDS,
    2: (*CHAINED_FIELDS, *FULL_FORM_FIELDS),
}
CSV_COLUMNS = (*CHAINED_FIELDS, *FULL_FORM_FIELDS, "hash")


class ChainedEntry(BaseModel):
    """One ledger line as it is chained, stored and exported, with the columns of its
    transaction. The full-form fields are absent only in an export made before they existed."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=1)
    entry_id: UUID
    transaction_id: UUID
    kind: str
    idempotency_key: str
    reverses: UUID | None = None
    programme_id: str
    grant_id: UUID | None = None
    installment_id: UUID | None = None
    account: str
    direction: str
    amount: int
    currency: str
    memo: str = ""
    recorded_by: str
    recorded_at: datetime
    prev_hash: str
    hash_version: int = 1
    account_kind: str | None = None
    transaction_programme_id: str | None = None
    transaction_grant_id: UUID | None = None
    transaction_fingerprint: str | None = None
    transaction_recorded_at: datetime | None = None
    hash: str = ""

    def field_text(self) -> dict[str, str]:
        """Every field as the text the canonical form and the CSV carry (absent = empty)."""
        values: dict[str, Any] = self.model_dump(include=set(CSV_COLUMNS))
        return {name: as_text(values[name]) for name in CSV_COLUMNS}


def as_text(value: Any) -> str:
    """A field's value as the text the canonical form and the CSV carry (absent = empty)."""
    if type(value) is str:  # most fields: first, and without a call (the verify's hot path)
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _time_text(value)
    return str(value)


@functools.lru_cache(maxsize=4096)
def _time_text(value: datetime) -> str:
    # an entry and its transaction share their recorded_at, and so do a batch's postings
    return value.astimezone(UTC).strftime(TIME_FORMAT)


class UnknownHashVersion(ValueError):
    pass


def chained_fields(version: int) -> tuple[str, ...]:
    try:
        return FIELDS_BY_VERSION[version]
    except KeyError:
        raise UnknownHashVersion(f"hash version {version} is not one this verifier knows") from None


def canonical_form(entry: ChainedEntry) -> bytes:
    """The bytes that are hashed: the fields of the entry's version as text, JSON, sorted keys."""
    fields = chained_fields(entry.hash_version)
    return _joined((key, as_text(getattr(entry, name))) for name, key in _SORTED_KEYS[fields])


def _canonical(texts: Mapping[str, str], fields: tuple[str, ...]) -> bytes:
    return _joined((key, texts[name]) for name, key in _SORTED_KEYS[fields])


# `json.dumps({...}, sort_keys=True, separators=(",", ":"))` of a flat object of strings, built
# directly: the keys sorted once per version, each value escaped by json's own (C) string encoder.
# The verify of a million entries spent most of its time building and dumping a dict per entry.
_SORTED_KEYS: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {
    fields: tuple((name, json.dumps(name) + ":") for name in sorted(fields))
    for fields in FIELDS_BY_VERSION.values()
}
_ESCAPED = json.encoder.encode_basestring_ascii  # what json.dumps uses with ensure_ascii (its default)


def _joined(pairs: Iterable[tuple[str, str]]) -> bytes:
    return ("{" + ",".join(key + _ESCAPED(text) for key, text in pairs) + "}").encode()


def entry_hash(entry: ChainedEntry) -> str:
    return hashlib.sha256(canonical_form(entry)).hexdigest()


def texts_hash(texts: Mapping[str, str], version: int = CURRENT_HASH_VERSION) -> str:
    """The hash of an entry given as the text of every field of `version` (`as_text`): the journal
    seals a batch this way, without building and dumping a model per entry. The same canonical
    form as `entry_hash`."""
    return hashlib.sha256(_canonical(texts, chained_fields(version))).hexdigest()


def sealed(entry: ChainedEntry) -> ChainedEntry:
    """`entry` with its hash set (its prev_hash must already be the previous entry's hash)."""
    return entry.model_copy(update={"hash": entry_hash(entry)})
