"""The outbox relay (DESIGN rule 1): it publishes committed outbox rows to Kafka and only then marks
them sent.

One relay per schema is active at a time, the leader: the one whose database session holds the
schema's advisory lock. The others stand by, and one takes over soon after the leader's session
ends. The leader is woken by the NOTIFY each outbox insert sends at commit, and polls as a fallback.

Each batch is one transaction, which
1. takes the schema's batch lock (a transaction-level advisory lock), so that batches never overlap,
   not even across a change of leader: an old leader may still be inside a batch whose rows it holds
   locked, and a new leader that skipped them would publish a case's later events first;
2. takes the next rows in id order (never past a row of the same key that is failing or parked) and,
   before publishing any, checks that this relay still leads: one that lost its lock stops there;
3. publishes them (idempotent producer, acks=all), marks the delivered ones sent, and counts a try
   against each row the broker refused. At `max_attempts` tries a row is parked with its reason and
   reported: an alert in the log and `homeward_outbox_parked_rows`.
A crash before the commit publishes the batch again; consumers' inboxes drop the copies.

`stop()` lets the current batch finish: the loop checks for it, and for leadership, between batches.

A producer whose sender has died (`PRODUCER_DEAD`: aiokafka re-raises these from its background
sender and fails every later send with a copy) is replaced by a new one, with a new producer id,
from `new_producer`: without it, one OutOfOrderSequenceNumber after a broker restart would leave
every row unsent until the process restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber, ProducerFenced, TransactionalIdAuthorizationFailed

from shared.db import Connection, Pool, check_schema_name
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_LEADER, OUTBOX_OLDEST_AGE, OUTBOX_PARKED, OUTBOX_PUBLISHED
from shared.transient import is_transient

from . import store
from .publishing import publish_rows
from .store import OutboxRow, ParkedRow

log = structlog.get_logger("shared.outbox")

# Test seam: called with a batch's rows after the broker acknowledged them, before they are marked sent.
AfterPublish = Callable[[list[OutboxRow]], Awaitable[None]]

LOCK_CHECK_TIMEOUT_S = 5.0

# What aiokafka's sender task dies of (aiokafka/producer/sender.py re-raises exactly these); the
# producer then refuses every send with a copy of the error.
PRODUCER_DEAD: tuple[type[Exception], ...] = (
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TransactionalIdAuthorizationFailed,
)

NewProducer = Callable[[], Awaitable[AIOKafkaProducer]]


class LeadershipLost(Exception):
    """The relay's lock session ended (or its lock is gone): another relay may be leading now."""


class OutboxRelay:
    def __init__(
        self,
        pool: Pool,
        producer: AIOKafkaProducer,
        schema: str,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        max_attempts: int = 5,
        topic_wait_s: float = 5.0,
        after_publish: AfterPublish | None = None,
        new_producer: NewProducer | None = None,
    ) -> None:
        self.pool = pool
        self.producer = producer
        self.new_producer = new_producer
        self.schema = check_schema_name(schema)
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.max_attempts = max_attempts
        self.topic_wait_s = topic_wait_s
        self.after_publish = after_publish
        self._leading: Callable[[], Awaitable[bool]] | None = None  # set while running as the leader
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def channel(self) -> str:
        return f"outbox_{self.schema}"

    @property
    def leader_lock(self) -> int:
        """The session-level advisory lock whose holder leads this schema's relays."""
        return _lock_key(f"outbox-relay:{self.schema}")

    @property
    def batch_lock(self) -> int:
        """The transaction-level advisory lock every batch of this schema takes."""
        return _lock_key(f"outbox-batch:{self.schema}")

    async def relay_once(self) -> int:
        """Publish one batch; return how many rows the broker took. Raises LeadershipLost, before
        publishing anything, when it runs as the leader and no longer is."""
        async with self.pool.acquire() as connection, connection.transaction():
            # taken before the SELECT, so that it also reads the previous batch's outcome: its rows
            # sent, and the rows that failed and now hold back the later rows of their key
            await connection.execute("SELECT pg_advisory_xact_lock($1)", self.batch_lock)
            rows = await store.next_rows(connection, self.batch_size)
            if not rows:
                return 0
            if self._leading is not None and not await self._leading():
                raise LeadershipLost(f"the outbox relay of {self.schema} no longer holds its leader lock")
            delivery = await publish_rows(self.producer, rows, topic_wait_s=self.topic_wait_s)
            if self.after_publish is not None:
                await self.after_publish(rows)
            await store.mark_sent(connection, delivery.sent)
            reasons = {row_id: _reason(error) for row_id, error in delivery.failed.items()}
            parked = await store.record_failures(connection, reasons, self.max_attempts)
        OUTBOX_PUBLISHED.labels(self.schema).inc(len(delivery.sent))
        self._report_failures(rows, reasons, parked)
        if parked:
            await report_backlog(self.pool, self.schema)
        return len(delivery.sent)

    async def drain(self) -> int:
        """Publish batch after batch until nothing more goes out or `stop()` is called; return the total."""
        total = 0
        while not self._stopping.is_set() and (published := await self.relay_once()) > 0:
            total += published
        return total

    def stop(self) -> None:
        """Stop after the current batch (the caller bounds how long it waits for that)."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Relay until `stop()`: compete for leadership, and while leading publish whenever woken."""
        while not self._stopping.is_set():
            try:
                await self._run_as_leader()
            except Exception as error:
                if isinstance(error, PRODUCER_DEAD) and self.new_producer is not None:
                    await self._renew_producer(error)
                elif is_transient(error):
                    log.warning(
                        "outbox relay lost the database or broker; retrying",
                        schema=self.schema,
                        error_type=type(error).__name__,
                    )
                else:
                    log.exception("outbox relay failed; retrying", schema=self.schema, alert=True)
            await self._sleep(self.poll_interval_s)

    async def _renew_producer(self, error: Exception) -> None:
        """Replace the dead producer; the batch it failed was rolled back and goes out again with
        the new one (consumers' inboxes drop whatever the old one had delivered)."""
        if self.new_producer is None:
            return
        log.warning(
            "outbox relay's producer died; starting a new one",
            schema=self.schema,
            error_type=type(error).__name__,
        )
        try:
            fresh = await self.new_producer()
        except Exception as starting:  # the broker away too: keep the dead one, try again next round
            log.warning(
                "outbox relay could not start a new producer; retrying",
                schema=self.schema,
                error_type=type(starting).__name__,
            )
            return
        dead, self.producer = self.producer, fresh
        try:
            await dead.stop()
        except Exception as stopping:  # a dead producer may fail to stop: it is dropped either way
            log.warning(
                "outbox relay's dead producer did not stop cleanly", error_type=type(stopping).__name__
            )

    async def _run_as_leader(self) -> None:
        async with self.pool.acquire() as listener:
            while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", self.leader_lock):
                if await self._sleep(self.poll_interval_s):
                    return
            self._leading = lambda: self._holds_leader_lock(listener)
            try:
                await listener.add_listener(self.channel, self._on_notify)
                log.info("outbox relay leads", schema=self.schema)
                OUTBOX_LEADER.labels(self.schema).set(1)
                while not self._stopping.is_set():
                    self._wake.clear()
                    if await self.drain() == 0:
                        await self._sleep(self.poll_interval_s)
            except LeadershipLost:
                log.warning("outbox relay lost its leadership; it publishes nothing more", schema=self.schema)
            finally:
                self._leading = None
                OUTBOX_LEADER.labels(self.schema).set(0)
                await self._step_down(listener)

    async def _holds_leader_lock(self, listener: Connection) -> bool:
        """Whether the listener's session is alive and holds the leader lock. A bigint advisory lock
        shows in pg_locks as its high half (classid) and low half (objid), objsubid 1."""
        if listener.is_closed():
            return False
        unsigned = self.leader_lock & 0xFFFF_FFFF_FFFF_FFFF
        try:
            return bool(
                await listener.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = $1::bigint::oid AND objid = $2::bigint::oid"
                    " AND objsubid = 1)",
                    unsigned >> 32,
                    unsigned & 0xFFFF_FFFF,
                    timeout=LOCK_CHECK_TIMEOUT_S,
                )
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
            return False  # the session is gone or does not answer: its lock cannot be counted on

    async def _step_down(self, listener: Connection) -> None:
        if listener.is_closed():
            return  # the session, and the lock with it, is gone
        try:
            await listener.remove_listener(self.channel, self._on_notify)
            await listener.execute(
                "SELECT pg_advisory_unlock($1)", self.leader_lock, timeout=LOCK_CHECK_TIMEOUT_S
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as error:
            # the lock (and LISTEN) end with the session: closed here, so that the pool (which does
            # not reset sessions: shared.db) never lends a connection that still leads
            listener.terminate()
            log.warning(
                "outbox relay could not release its lock", schema=self.schema, error_type=type(error).__name__
            )
        except asyncio.CancelledError:  # stopped while stepping down: the same, then stop
            listener.terminate()
            raise

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _sleep(self, seconds: float) -> bool:
        """Wait for a NOTIFY, a stop or the timeout; True when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stopping.is_set()

    def _report_failures(
        self, rows: list[OutboxRow], reasons: Mapping[int, str], parked: list[ParkedRow]
    ) -> None:
        by_id = {row.id: row for row in rows}
        parked_ids = {row.id for row in parked}
        for row_id, reason in reasons.items():
            if row_id in parked_ids:
                continue
            row = by_id[row_id]
            log.warning(
                "the broker refused an outbox row; it is tried again and holds back its key's later rows",
                schema=self.schema,
                outbox_id=row_id,
                event_id=str(row.event_id),
                topic=row.topic,
                key=row.key,
                attempt=row.attempts + 1,
                reason=reason,
            )
        for parked_row in parked:
            log.error(
                "outbox row parked: the broker refused it every time; it holds back the later rows of its key"
                " until it is re-queued (homeward outbox list-parked / requeue)",
                alert=True,
                schema=self.schema,
                outbox_id=parked_row.id,
                event_id=str(parked_row.event_id),
                topic=parked_row.topic,
                key=parked_row.key,
                attempts=parked_row.attempts,
                reason=parked_row.reason,
            )


async def report_backlog(pool: Pool, schema: str) -> store.Backlog:
    """Read the outbox's backlog and set its gauges (waiting rows, oldest waiting age, parked rows)."""
    async with pool.acquire() as connection:
        backlog = await store.backlog(connection)
    OUTBOX_BACKLOG.labels(schema).set(backlog.waiting)
    OUTBOX_OLDEST_AGE.labels(schema).set(backlog.oldest_waiting_s)
    OUTBOX_PARKED.labels(schema).set(backlog.parked)
    return backlog


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
