"""What the columns of an entry and of its transaction must be, beyond the hash: a transaction
balances in every currency and its lines agree on the transaction's columns; and the columns a
version-1 hash leaves out (`account_kind`, the transaction's programme, grant, fingerprint and
recorded_at) are what the hashed ones make them — so an insider who changes one of those on an old
entry is caught though its hash still matches. Pure."""

from __future__ import annotations

from collections import defaultdict

from shared.money import Money

from .chain import ChainedEntry
from .postings import Account, AccountKind, Direction, Line, Posting, TransactionKind

# The columns every entry of one transaction carries from the same transaction row.
TRANSACTION_COLUMNS = (
    "kind",
    "idempotency_key",
    "reverses",
    "installment_id",
    "memo",
    "recorded_by",
    "transaction_programme_id",
    "transaction_grant_id",
    "transaction_fingerprint",
    "transaction_recorded_at",
)
_ACCOUNT_KINDS = {kind.value for kind in AccountKind}


def derived_column_problem(entry: ChainedEntry) -> str | None:
    """The columns a version-1 hash leaves out must be what the hashed ones make them (checked for
    every version: the service never writes them otherwise). Absent in an old export: skipped."""
    if entry.account_kind is not None:
        owner = f"grant/{entry.grant_id}" if entry.grant_id else f"programme/{entry.programme_id}"
        if entry.account_kind not in _ACCOUNT_KINDS or entry.account != f"{owner}/{entry.account_kind}":
            return f"its account_kind {entry.account_kind!r} is not the kind of its account {entry.account}"
    if entry.transaction_programme_id is not None and entry.transaction_programme_id != entry.programme_id:
        return (
            f"its transaction's programme {entry.transaction_programme_id} is not the programme of its "
            f"account ({entry.programme_id})"
        )
    if entry.transaction_recorded_at is not None and entry.transaction_recorded_at != entry.recorded_at:
        return "its transaction's recorded_at is not its own"
    return None


def transaction_problem(lines: list[ChainedEntry]) -> str | None:
    first = lines[0]
    net: dict[str, int] = defaultdict(int)
    for line in lines:
        net[line.currency] += line.amount if line.direction == "debit" else -line.amount
    for currency, value in net.items():
        if value != 0:
            return (
                f"transaction {first.transaction_id} does not balance in {currency} "
                f"(debits - credits = {value})"
            )
    for line in lines[1:]:
        differing = [c for c in TRANSACTION_COLUMNS if getattr(line, c) != getattr(first, c)]
        if differing:
            return (
                f"entry {line.seq} of the same transaction shows other transaction columns "
                f"({', '.join(differing)})"
            )
    if first.transaction_programme_id is None:
        return None  # an export made before the transaction's columns were in it
    grants = {line.grant_id for line in lines if line.grant_id is not None}
    if grants != ({first.transaction_grant_id} if first.transaction_grant_id else set()):
        return f"its transaction's grant {first.transaction_grant_id} is not the grant of its lines"
    if first.hash_version == 1 and first.transaction_fingerprint is not None:
        return _fingerprint_problem(lines)
    return None


def _fingerprint_problem(lines: list[ChainedEntry]) -> str | None:
    """A version-1 transaction's fingerprint is not hashed: recompute it from its lines."""
    first = lines[0]
    try:
        posting = Posting(
            kind=TransactionKind(first.kind),
            idempotency_key=first.idempotency_key,
            programme_id=first.transaction_programme_id or "",
            grant_id=first.transaction_grant_id,
            installment_id=first.installment_id,
            reverses=first.reverses,
            memo=first.memo,
            lines=[
                Line(
                    account=Account(
                        kind=AccountKind(line.account_kind or ""),
                        programme_id=line.programme_id,
                        grant_id=line.grant_id,
                    ),
                    direction=Direction(line.direction),
                    amount=Money(amount=line.amount, currency=line.currency),
                )
                for line in lines
            ],
        )
    except ValueError as error:
        return f"its transaction is not a valid posting: {error}"
    if posting.fingerprint() != first.transaction_fingerprint:
        return (
            "its transaction's fingerprint is not the fingerprint of its lines: the transaction was altered"
        )
    return None
