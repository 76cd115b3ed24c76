"""Checking a ledger: the chain entry by entry, every transaction's balance and columns, and — when
signed checkpoints and the public keys are given — that the entries are the ones the service signed.

`ChainVerifier` is fed entries in sequence order (from the database or a CSV export) and keeps
little: the previous hash, the entries of the current transaction (a posting's entries are
consecutive) and the Merkle frontier (at most 64 hashes). Its verdict names the first entry that
does not hold, and how far the signed checkpoints cover the file. Pure.

What each check catches:
- an entry edited in place: its hash no longer matches its content;
- an entry removed, inserted or reordered: `seq` or `prev_hash` no longer follows;
- a version-1 entry's columns outside its hash (`account_kind`, the transaction's programme,
  grant, fingerprint, recorded_at) changed: each is derived from hashed fields and compared;
- every hash recomputed after an edit: the chain is self-consistent, but the first signed
  checkpoint at or after the edit records another head hash and Merkle root;
- the tail cut off: a signed checkpoint covers more entries than the file has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel

from .chain import FIELDS_BY_VERSION, GENESIS_HASH, ChainedEntry, as_text, entry_hash
from .checkpoint import Checkpoint, signature_problem
from .columns import derived_column_problem, transaction_problem
from .merkle import Frontier


class ChainVerdict(BaseModel):
    ok: bool
    entries_checked: int
    transactions_checked: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_entry_id: UUID | None = None
    problem: str | None = None
    checkpoints_given: int = 0
    covered_by_checkpoint: int | None = None  # the last signed checkpoint the entries match
    covered_entries: int = 0  # entries 1..covered_entries are the ones that checkpoint signed
    covered_signed_at: datetime | None = None

    def line(self) -> str:
        if not self.ok:
            if self.first_bad_seq is None:
                return f"FAILED: {self.problem}"
            which = f"id {self.first_bad_entry_id}" if self.first_bad_entry_id else "missing from the file"
            return f"FAILED at entry {self.first_bad_seq} ({which}): {self.problem}"
        text = (
            f"OK: {self.entries_checked} entries in {self.transactions_checked} transactions; "
            f"the chain is intact and every transaction balances; head {self.head_hash}"
        )
        if not self.checkpoints_given:
            return text
        if self.covered_by_checkpoint is None:
            return text + f"; none of the {self.checkpoints_given} signed checkpoints given covers an entry"
        text += (
            f"; covered up to entry {self.covered_entries} by signed checkpoint "
            f"#{self.covered_by_checkpoint} "
            f"({as_text(self.covered_signed_at)}, the latest of {self.checkpoints_given} given)"
        )
        if self.entries_checked > self.covered_entries:
            text += (
                f"; entries {self.covered_entries + 1}-{self.entries_checked} are newer than every "
                "checkpoint given"
            )
        return text


@dataclass(frozen=True)
class _Failure:
    seq: int | None
    entry_id: UUID | None
    problem: str


class ChainVerifier:
    """Feed entries in sequence order; `verdict()` names the first one that does not hold.

    With `checkpoints`, each must carry a valid signature of one of `public_keys` (by key id),
    and the entries must reproduce the head hash and Merkle root each one signed. `resume_from`
    starts after a checkpoint already checked (its entries are not fed again)."""

    def __init__(
        self,
        checkpoints: Iterable[Checkpoint] = (),
        public_keys: Mapping[str, Ed25519PublicKey] | None = None,
        *,
        resume_from: tuple[Checkpoint, Frontier] | None = None,
    ) -> None:
        self.previous_hash = GENESIS_HASH
        self.previous_seq = 0
        self.count = 0
        self.transactions = 0
        self.failure: _Failure | None = None
        self.frontier = Frontier()
        if resume_from is not None:
            start, frontier = resume_from
            self.previous_hash, self.previous_seq = start.head_hash, start.entry_count
            self.frontier = frontier.copy()
        self._transaction: list[ChainedEntry] = []
        self._signed: dict[int, Checkpoint] = {}  # entry_count → the checkpoint signed there
        self._matched: Checkpoint | None = None
        given = {c.signature: c for c in checkpoints}.values()  # the same one from two sources: once
        self.checkpoints_given = len(given)
        for checkpoint in sorted(given, key=lambda c: (c.entry_count, c.number)):
            problem = signature_problem(checkpoint, public_keys or {})
            earlier = self._signed.get(checkpoint.entry_count)
            if (
                problem is None
                and earlier is not None
                and _signed_state(earlier) != _signed_state(checkpoint)
            ):
                problem = (
                    f"{earlier.describe()} and {checkpoint.describe()} are both signed but record different "
                    "ledgers of the same length"
                )
            if problem is not None:
                self.failure = _Failure(None, None, problem)
                break
            self._signed[checkpoint.entry_count] = checkpoint

    def feed(self, entry: ChainedEntry) -> bool:
        """Check one entry; False once the chain is broken (later entries are not checked)."""
        if self.failure is not None:
            return False
        # a gap in the chain first: a removed line also leaves its transaction unbalanced, and
        # the gap is what happened
        problem = self._link_problem(entry)
        if (
            problem is None
            and self._transaction
            and self._transaction[0].transaction_id != entry.transaction_id
        ):
            self._close_transaction()
            if self.failure is not None:
                return False
        if problem is None:
            problem = self._content_problem(entry)
        if problem is None:
            self._transaction.append(entry)
            self.count += 1
            self.previous_hash, self.previous_seq = entry.hash, entry.seq
            self.frontier.append(bytes.fromhex(entry.hash))
            problem = self._against_checkpoint(entry)
        if problem is not None:
            self.failure = _Failure(entry.seq, entry.entry_id, problem)
            return False
        return True

    def _link_problem(self, entry: ChainedEntry) -> str | None:
        if entry.seq != self.previous_seq + 1:
            return (
                f"sequence jumps from {self.previous_seq} to {entry.seq}: an entry is missing or out of order"
            )
        if entry.prev_hash != self.previous_hash:
            return "its prev_hash is not the previous entry's hash: an entry before it was removed or altered"
        return None

    def _content_problem(self, entry: ChainedEntry) -> str | None:
        if entry.direction not in ("debit", "credit") or entry.amount <= 0:
            return f"not a valid ledger line ({entry.direction} {entry.amount})"
        if entry.hash_version not in FIELDS_BY_VERSION:
            return f"its hash version {entry.hash_version} is not one this verifier knows"
        if len(entry.hash) != 64 or entry_hash(entry) != entry.hash:
            return "its stored hash does not match its content: the entry was altered"
        return derived_column_problem(entry)

    def _against_checkpoint(self, entry: ChainedEntry) -> str | None:
        checkpoint = self._signed.get(entry.seq)
        if checkpoint is None:
            return None
        if entry.hash != checkpoint.head_hash or self.frontier.root().hex() != checkpoint.merkle_root:
            after = self._matched.entry_count if self._matched else 0
            still = f"{self._matched.describe()} still matches" if self._matched else "no earlier checkpoint"
            return (
                f"{checkpoint.describe()} signed a different entry {entry.seq} (hash {checkpoint.head_hash}; "
                f"this one's is {entry.hash}): the ledger was rewritten, every hash after the change "
                f"recomputed; the change lies in entries {after + 1}-{entry.seq} ({still})"
            )
        self._matched = checkpoint
        return None

    def _close_transaction(self) -> None:
        lines, self._transaction = self._transaction, []
        if not lines:
            return
        self.transactions += 1
        first = lines[0]
        problem = transaction_problem(lines)
        if problem is not None:
            self.failure = _Failure(first.seq, first.entry_id, problem)

    def verdict(self) -> ChainVerdict:
        if self.failure is None:
            self._close_transaction()
        if self.failure is None:
            beyond = [c for c in self._signed.values() if c.entry_count > self.previous_seq]
            if beyond:
                last = max(beyond, key=lambda c: c.entry_count)
                self.failure = _Failure(
                    self.previous_seq + 1,
                    None,
                    f"the entries end at {self.previous_seq}, but {last.describe()} covers "
                    f"{last.entry_count}:"
                    f" entries {self.previous_seq + 1}-{last.entry_count} were cut off",
                )
        verdict = ChainVerdict(
            ok=self.failure is None,
            entries_checked=self.count,
            transactions_checked=self.transactions,
            head_hash=self.previous_hash,
            checkpoints_given=self.checkpoints_given,
        )
        if self.failure is not None:
            return verdict.model_copy(
                update={
                    "first_bad_seq": self.failure.seq,
                    "first_bad_entry_id": self.failure.entry_id,
                    "problem": self.failure.problem,
                }
            )
        if self._matched is not None:
            return verdict.model_copy(
                update={
                    "covered_by_checkpoint": self._matched.number,
                    "covered_entries": self._matched.entry_count,
                    "covered_signed_at": self._matched.signed_at,
                }
            )
        return verdict


def _signed_state(checkpoint: Checkpoint) -> tuple[str, str]:
    return checkpoint.head_hash, checkpoint.merkle_root


def verify_entries(
    entries: Iterable[ChainedEntry],
    checkpoints: Iterable[Checkpoint] = (),
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> ChainVerdict:
    verifier = ChainVerifier(checkpoints, public_keys)
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.verdict()
