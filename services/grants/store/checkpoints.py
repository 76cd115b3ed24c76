"""Signed checkpoints in PostgreSQL: the bookkeeping row a signer locks, the append-only
checkpoints with the Merkle frontier each leaves for the next, and reads for auditors.

The signer runs `lock_head` first in its transaction: replicas sign one after another, and the
numbers have no gaps. The lock is on a row of its own, never on the chain head, so signing never
holds up a posting."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.grants.core.ledger.checkpoint import Checkpoint
from services.grants.core.ledger.merkle import Frontier
from shared.db import Connection, Pool

_COLUMNS = "number, entry_count, head_hash, merkle_root, signed_at, key_id, signature"


class CheckpointHeadMissing(RuntimeError):
    """The bookkeeping row is gone: the schema is not the migrated one (not any request's fault)."""


@dataclass(frozen=True)
class CheckpointHead:
    last_number: int
    entry_count: int  # entries 1..entry_count are covered by checkpoint `last_number`


@dataclass(frozen=True)
class StoredCheckpoint:
    checkpoint: Checkpoint
    frontier: Frontier


def _checkpoint(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint.model_validate({name: row[name] for name in _COLUMNS.split(", ")})


async def head(connection: Pool | Connection, *, lock: bool = False) -> CheckpointHead:
    row = await connection.fetchrow(
        "SELECT last_number, entry_count FROM ledger_checkpoint_head WHERE id = 1"
        + (" FOR UPDATE" if lock else "")
    )
    if row is None:
        raise CheckpointHeadMissing("ledger_checkpoint_head has no row: the checkpoint migration seeds it")
    return CheckpointHead(int(row["last_number"]), int(row["entry_count"]))


async def latest(connection: Pool | Connection) -> StoredCheckpoint | None:
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS}, frontier FROM ledger_checkpoints ORDER BY number DESC LIMIT 1"
    )
    if row is None:
        return None
    checkpoint = _checkpoint(row)
    return StoredCheckpoint(
        checkpoint, Frontier(checkpoint.entry_count, [bytes.fromhex(h) for h in row["frontier"]])
    )


async def insert(connection: Connection, checkpoint: Checkpoint, frontier: Frontier, reason: str) -> None:
    """Store `checkpoint` and move the bookkeeping to it (in the caller's transaction, after
    `head(lock=True)`)."""
    await connection.execute(
        f"INSERT INTO ledger_checkpoints ({_COLUMNS}, frontier, reason) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " $8, $9)",
        checkpoint.number,
        checkpoint.entry_count,
        checkpoint.head_hash,
        checkpoint.merkle_root,
        checkpoint.signed_at,
        checkpoint.key_id,
        checkpoint.signature,
        [h.hex() for h in frontier.hashes],
        reason,
    )
    await connection.execute(
        "UPDATE ledger_checkpoint_head SET last_number = $1, entry_count = $2 WHERE id = 1",
        checkpoint.number,
        checkpoint.entry_count,
    )


async def listed(
    pool: Pool | Connection, *, after_number: int = 0, limit: int | None = None
) -> list[Checkpoint]:
    """Checkpoints in signing order, from number `after_number + 1`."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM ledger_checkpoints WHERE number > $1 ORDER BY number LIMIT $2",
        after_number,
        limit,
    )
    return [_checkpoint(r) for r in rows]
