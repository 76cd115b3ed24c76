"""Retention of the outbox and the inbox: sent outbox rows and old inbox rows are deleted once their
retention period is over, a bounded batch per transaction, oldest first.

Pruning never waits for the relay, nor the relay for it: it deletes only rows that were sent (the
relay locks only rows not sent yet) and skips any row someone holds locked. An inbox row must outlive
every redelivery of its event: keep the inbox longer than the retention of any topic the service
consumes (30 days by default, as the topics), or a redelivered event would take effect again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import structlog

from shared.db import Pool, check_schema_name
from shared.jobs import PeriodicJob
from shared.metrics import RETENTION_PRUNED

log = structlog.get_logger("shared.retention")

# a round deletes at most this many batches, so that a large backlog is worked off across rounds
# and stopping the job never waits long
MAX_BATCHES_PER_ROUND = 100

_PRUNE_OUTBOX = """
DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox
    WHERE sent_at IS NOT NULL AND sent_at < now() - $1::interval
    ORDER BY sent_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
"""

# No row locks here (unlike the outbox): locking needs the UPDATE privilege, which the runtime role
# has no use for on the inbox; rows this old are touched by nothing else, and two replicas pruning
# the same rows at once only wait for each other.
_PRUNE_INBOX = """
DELETE FROM inbox WHERE (consumer, event_id) IN (
    SELECT consumer, event_id FROM inbox
    WHERE processed_at < now() - $1::interval
    ORDER BY processed_at
    LIMIT $2
)
"""


async def prune(
    pool: Pool, schema: str, table: Literal["outbox", "inbox"], keep: timedelta, batch_rows: int
) -> int:
    """Delete `table`'s rows (`"outbox"`: sent ones) older than `keep`, in batches of `batch_rows`,
    each its own transaction, for at most one round; return how many went."""
    check_schema_name(schema)
    statement = {"outbox": _PRUNE_OUTBOX, "inbox": _PRUNE_INBOX}[table]
    total = 0
    for _ in range(MAX_BATCHES_PER_ROUND):
        deleted = _count(await pool.execute(statement, keep, batch_rows))
        total += deleted
        RETENTION_PRUNED.labels(schema, table).inc(deleted)
        if deleted < batch_rows:
            break
    if total:
        log.info("rows past their retention deleted", schema=schema, table=table, rows=total)
    return total


def retention_job(
    pool: Pool,
    schema: str,
    *,
    outbox_days: float,
    inbox_days: float,
    interval_s: float,
    batch_rows: int,
) -> PeriodicJob:
    """The periodic job that prunes one schema's outbox and inbox."""

    async def prune_once() -> None:
        await prune(pool, schema, "outbox", timedelta(days=outbox_days), batch_rows)
        await prune(pool, schema, "inbox", timedelta(days=inbox_days), batch_rows)

    return PeriodicJob("retention", interval_s, prune_once)


def _count(status: str) -> int:
    """The row count of a command status such as `DELETE 1000`."""
    return int(status.rsplit(" ", 1)[-1])
