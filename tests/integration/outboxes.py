"""What the outbox relay tests share: events appended per key, advisory locks as PostgreSQL shows
them, a producer that can hold its first send, and reading back a key's order from a topic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

from shared import outbox
from shared.db import Connection, Pool, transaction
from shared.events import new_envelope, parse_envelope
from shared.events.intake import CaseClosed


async def append_rounds(pool: Pool, topic: str, keys: int, rounds: int) -> dict[str, list[UUID]]:
    """`rounds` transactions, each appending one event per key; returns each key's event ids in order."""
    names = [str(uuid4()) for _ in range(keys)]
    sent: dict[str, list[UUID]] = {key: [] for key in names}
    for round_ in range(rounds):
        async with transaction(pool) as connection:
            items = []
            for key in names:
                envelope = new_envelope(
                    CaseClosed(case_id=key, reason="other", closed_by=f"{round_}"), key=key, producer="test"
                )
                sent[key].append(envelope.event_id)
                items.append((topic, envelope))
            await outbox.append_many(connection, items)
    return sent


def first_occurrences(records: list[Any]) -> dict[str, list[UUID]]:
    """Each key's event ids in the order a consumer of the topic first sees them (copies dropped)."""
    seen: set[UUID] = set()
    order: dict[str, list[UUID]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        envelope = parse_envelope(record.value)
        if envelope.event_id not in seen:
            seen.add(envelope.event_id)
            order.setdefault(envelope.key, []).append(envelope.event_id)
    return order


async def lock_sessions(connection: Connection | Pool, lock: int, *, granted: bool = True) -> list[int]:
    """The backends holding (or, `granted=False`, waiting for) the bigint advisory lock `lock`."""
    unsigned = lock & 0xFFFF_FFFF_FFFF_FFFF
    rows = await connection.fetch(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted = $3"
        " AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
        unsigned >> 32,
        unsigned & 0xFFFF_FFFF,
        granted,
    )
    return [row["pid"] for row in rows]


class HoldingProducer:
    """A real producer whose first `send_batch` runs `first_send()` before anything is sent, every
    send of that moment waiting for it: the relay stands between choosing a batch and publishing it."""

    def __init__(self, producer: Any, first_send: Callable[[], Awaitable[None]]) -> None:
        self._producer = producer
        self._first_send = first_send
        self._held: asyncio.Future[None] | None = None
        self.sends = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._producer, name)

    async def first_send_done(self) -> None:
        """Raises what `first_send()` raised: a test's own failure there must not pass for the relay's."""
        if self._held is not None:
            await self._held

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        if self._held is None:
            self._held = asyncio.ensure_future(self._first_send())
        await asyncio.shield(self._held)
        self.sends += 1
        return await self._producer.send_batch(batch, topic, partition=partition)


def advisory_key(name: str) -> int:
    """The bigint advisory lock the relay derives from `name` (`outbox-relay:<schema>` leads,
    `outbox-batch:<schema>` serialises batches)."""
    import hashlib

    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
