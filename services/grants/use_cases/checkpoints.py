"""Signing the ledger: a checkpoint over the entries so far, when the policy says it is due.

One transaction: lock the checkpoint bookkeeping (replicas sign one after another), read the chain
head, check every entry since the last checkpoint exactly as an auditor would (hash, link, balance,
columns, continuing the Merkle tree from the last checkpoint's frontier), and only if they all hold,
sign, store the checkpoint and queue `LedgerCheckpointSigned` in the outbox. Entries that do not
hold are never signed: the round fails as an alert, and keeps failing until a person looks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from prometheus_client import Counter, Gauge

from services.grants.core.ledger.audit import ChainVerifier
from services.grants.core.ledger.checkpoint import Checkpoint, signature_problem
from services.grants.store import checkpoints as checkpoint_store
from services.grants.store import ledger_reads
from services.grants.store.checkpoints import StoredCheckpoint
from shared import outbox
from shared.db import transaction
from shared.events import new_envelope
from shared.events.grants import LEDGER_CHECKPOINT_KEY, LedgerCheckpointSigned

from .audit import feed
from .context import PRODUCER, GrantsContext

log = structlog.get_logger("grants.checkpoints")

CHECKPOINTS_SIGNED = Counter(
    "homeward_ledger_checkpoints_signed_total", "Ledger checkpoints signed, by why", ["reason"]
)
CHECKPOINTS_REFUSED = Counter(
    "homeward_ledger_checkpoints_refused_total",
    "Checkpoint rounds that found entries that do not verify and signed nothing (a person must look)",
)
ENTRIES_UNSIGNED = Gauge(
    "homeward_ledger_entries_unsigned", "Ledger entries not yet covered by a signed checkpoint"
)


class LedgerDoesNotVerify(RuntimeError):
    """The entries since the last checkpoint do not verify: nothing was signed."""


async def sign_checkpoint_if_due(
    context: GrantsContext, *, now: datetime | None = None, shutdown: bool = False
) -> Checkpoint | None:
    """Sign a checkpoint if the policy says so (at shutdown: if any entry waits); return it."""
    signing = context.signing
    now = now or datetime.now(UTC)
    # a cheap look first, without a lock: most rounds find nothing due
    head = await checkpoint_store.head(context.pool)
    chain = await ledger_reads.chain_head(context.pool)
    ENTRIES_UNSIGNED.set(chain.seq - head.entry_count)
    if (
        _reason(context, head.entry_count, chain.seq, await _oldest(context, head.entry_count), now, shutdown)
        is None
    ):
        return None
    async with transaction(context.pool) as connection:
        head = await checkpoint_store.head(connection, lock=True)
        chain = await ledger_reads.chain_head(connection)
        oldest = await ledger_reads.recorded_at(connection, head.entry_count + 1)
        reason = _reason(context, head.entry_count, chain.seq, oldest, now, shutdown)
        if reason is None:  # another replica signed meanwhile
            return None
        latest = await checkpoint_store.latest(connection)
        last = (latest.checkpoint.number, latest.checkpoint.entry_count) if latest else (0, 0)
        if last != (head.last_number, head.entry_count):
            raise LedgerDoesNotVerify(
                f"the checkpoint bookkeeping ({head}) does not name the last stored checkpoint"
            )
        if latest is not None:
            _check_resumable(latest, signing.public_keys)
        verifier = ChainVerifier(resume_from=(latest.checkpoint, latest.frontier) if latest else None)
        await feed(verifier, ledger_reads.every_entry(connection, after=head.entry_count, upto=chain.seq))
        verdict = verifier.verdict()
        if not verdict.ok or (verifier.previous_seq, verifier.previous_hash) != (chain.seq, chain.hash):
            CHECKPOINTS_REFUSED.inc()
            problem = (
                verdict.line() if not verdict.ok else f"the entries do not end at the chain head {chain}"
            )
            raise LedgerDoesNotVerify(f"not signing entries {head.entry_count + 1}-{chain.seq}: {problem}")
        checkpoint = signing.signer.sign(
            number=head.last_number + 1,
            entry_count=chain.seq,
            head_hash=chain.hash,
            merkle_root=verifier.frontier.root().hex(),
            signed_at=now,
        )
        await checkpoint_store.insert(connection, checkpoint, verifier.frontier, reason)
        signed = LedgerCheckpointSigned(**checkpoint.model_dump())
        await outbox.append(
            connection,
            context.topics.ledger_checkpoints,
            new_envelope(signed, key=LEDGER_CHECKPOINT_KEY, producer=PRODUCER),
        )
    CHECKPOINTS_SIGNED.labels(reason).inc()
    ENTRIES_UNSIGNED.set(0)
    log.info(
        "ledger checkpoint signed",
        number=checkpoint.number,
        entry_count=checkpoint.entry_count,
        reason=reason,
        key_id=checkpoint.key_id,
    )
    return checkpoint


def _check_resumable(latest: StoredCheckpoint, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
    """The stored checkpoint the new one continues from is one this service signed, and its
    frontier (not signed itself) is the tree it signed: else whoever wrote it chooses what the
    next signature covers."""
    checkpoint, frontier = latest.checkpoint, latest.frontier
    problem = signature_problem(checkpoint, public_keys)
    if problem is None and (frontier.size, frontier.root().hex()) != (
        checkpoint.entry_count,
        checkpoint.merkle_root,
    ):
        problem = f"the Merkle frontier stored with {checkpoint.describe()} is not the tree it signed"
    if problem is not None:
        CHECKPOINTS_REFUSED.inc()
        raise LedgerDoesNotVerify(f"not signing: the last stored checkpoint was altered: {problem}")


async def _oldest(context: GrantsContext, covered: int) -> datetime | None:
    return await ledger_reads.recorded_at(context.pool, covered + 1)


def _reason(
    context: GrantsContext, covered: int, seq: int, oldest: datetime | None, now: datetime, shutdown: bool
) -> str | None:
    return context.signing.policy.reason(
        waiting=seq - covered, oldest_waiting_at=oldest, now=now, shutdown=shutdown
    )
