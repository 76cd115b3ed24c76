"""The ledger's hash chain: one canonical form per entry, SHA-256 chained to the previous entry.

The database (when appending and in `GET /v1/ledger/verify`) and the offline check
(`homeward ledger verify FILE.csv`) use this module and nothing else, so an auditor with only the
CSV export recomputes exactly what the service computed. Pure: no I/O beyond the text streams a
caller hands in.

    hash(entry) = sha256( canonical JSON of the entry's fields, including prev_hash )
    prev_hash(first entry) = 64 zeros
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

GENESIS_HASH = "0" * 64
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# The fields the hash covers, in export order; the export adds `hash` after them.
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
CSV_COLUMNS = (*CHAINED_FIELDS, "hash")


class ChainedEntry(BaseModel):
    """One ledger line as it is chained, stored and exported."""

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
    hash: str = ""

    def field_text(self) -> dict[str, str]:
        """Every field as the text the canonical form and the CSV carry (absent = empty)."""
        values: dict[str, Any] = self.model_dump(include=set(CSV_COLUMNS))
        return {name: _text(values[name]) for name in CSV_COLUMNS}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(_TIME_FORMAT)
    return str(value)


def canonical_form(entry: ChainedEntry) -> bytes:
    """The bytes that are hashed: the chained fields as text, JSON with sorted keys."""
    values = entry.model_dump(include=_CHAINED_SET)
    return _canonical({name: _text(values[name]) for name in CHAINED_FIELDS})


def _canonical(texts: Mapping[str, str]) -> bytes:
    return json.dumps(
        {name: texts[name] for name in CHAINED_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


_CHAINED_SET = set(CHAINED_FIELDS)


def entry_hash(entry: ChainedEntry) -> str:
    return hashlib.sha256(canonical_form(entry)).hexdigest()


def as_text(value: Any) -> str:
    """A field's value as the text the canonical form and the CSV carry (absent = empty)."""
    return _text(value)


def texts_hash(texts: Mapping[str, str]) -> str:
    """The hash of an entry given as the text of every chained field (`as_text`): the journal
    seals a batch this way, without building and dumping a model per entry. The same canonical
    form as `entry_hash`."""
    return hashlib.sha256(_canonical(texts)).hexdigest()


def sealed(entry: ChainedEntry) -> ChainedEntry:
    """`entry` with its hash set (its prev_hash must already be the previous entry's hash)."""
    return entry.model_copy(update={"hash": entry_hash(entry)})


class ChainVerdict(BaseModel):
    ok: bool
    entries_checked: int
    transactions_checked: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_entry_id: UUID | None = None
    problem: str | None = None

    def line(self) -> str:
        if self.ok:
            return (
                f"OK: {self.entries_checked} entries in {self.transactions_checked} transactions; "
                f"the chain is intact and every transaction balances; head {self.head_hash}"
            )
        return f"FAILED at entry {self.first_bad_seq} (id {self.first_bad_entry_id}): {self.problem}"


class ChainVerifier:
    """Feed entries in sequence order; `verdict()` names the first one that does not match."""

    def __init__(self) -> None:
        self.previous_hash = GENESIS_HASH
        self.previous_seq = 0
        self.count = 0
        self.failure: tuple[ChainedEntry, str] | None = None
        self._net: dict[tuple[UUID, str], int] = defaultdict(int)
        self._first_of: dict[UUID, ChainedEntry] = {}

    def feed(self, entry: ChainedEntry) -> bool:
        """Check one entry; False once the chain is broken (later entries are not checked)."""
        if self.failure is not None:
            return False
        problem = self._problem(entry)
        if problem is not None:
            self.failure = (entry, problem)
            return False
        self.count += 1
        self.previous_hash, self.previous_seq = entry.hash, entry.seq
        sign = 1 if entry.direction == "debit" else -1
        self._net[(entry.transaction_id, entry.currency)] += sign * entry.amount
        self._first_of.setdefault(entry.transaction_id, entry)
        return True

    def _problem(self, entry: ChainedEntry) -> str | None:
        if entry.seq != self.previous_seq + 1:
            return (
                f"sequence jumps from {self.previous_seq} to {entry.seq}: an entry is missing or out of order"
            )
        if entry.prev_hash != self.previous_hash:
            return "its prev_hash is not the previous entry's hash: an entry before it was removed or altered"
        if entry.direction not in ("debit", "credit") or entry.amount <= 0:
            return f"not a valid ledger line ({entry.direction} {entry.amount})"
        if entry_hash(entry) != entry.hash:
            return "its stored hash does not match its content: the entry was altered"
        return None

    def verdict(self) -> ChainVerdict:
        counted = len(self._first_of)
        if self.failure is not None:
            entry, problem = self.failure
            return ChainVerdict(
                ok=False,
                entries_checked=self.count,
                transactions_checked=counted,
                head_hash=self.previous_hash,
                first_bad_seq=entry.seq,
                first_bad_entry_id=entry.entry_id,
                problem=problem,
            )
        for (transaction_id, currency), net in self._net.items():
            if net != 0:
                first = self._first_of[transaction_id]
                return ChainVerdict(
                    ok=False,
                    entries_checked=self.count,
                    transactions_checked=counted,
                    head_hash=self.previous_hash,
                    first_bad_seq=first.seq,
                    first_bad_entry_id=first.entry_id,
                    problem=(
                        f"transaction {transaction_id} does not balance in {currency} "
                        f"(debits - credits = {net})"
                    ),
                )
        return ChainVerdict(
            ok=True, entries_checked=self.count, transactions_checked=counted, head_hash=self.previous_hash
        )


def verify_entries(entries: Iterable[ChainedEntry]) -> ChainVerdict:
    verifier = ChainVerifier()
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.verdict()


class ExportFormatError(ValueError):
    """The CSV is not a ledger export (missing columns, a value that does not parse)."""


def write_csv(entries: Iterable[ChainedEntry], stream: IO[str], *, header: bool = True) -> None:
    # RFC 4180 line ends: a field holding either \r or \n is quoted, so any memo reads back intact
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    if header:
        writer.writeheader()
    for entry in entries:
        writer.writerow(entry.field_text())


def read_csv(stream: IO[str]) -> Iterator[ChainedEntry]:
    """Entries from an export, in file order; raises ExportFormatError naming the line."""
    reader = csv.DictReader(stream)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ExportFormatError(f"not a ledger export: missing columns {', '.join(missing)}")
    for row in reader:
        try:
            values: dict[str, Any] = {name: (row[name] if row[name] != "" else None) for name in CSV_COLUMNS}
            values["memo"], values["hash"] = row["memo"], row["hash"]
            values["recorded_at"] = datetime.strptime(row["recorded_at"], _TIME_FORMAT).replace(tzinfo=UTC)
            yield ChainedEntry.model_validate(values)
        except (ValueError, TypeError) as error:
            raise ExportFormatError(f"line {reader.line_num}: {error}") from error
