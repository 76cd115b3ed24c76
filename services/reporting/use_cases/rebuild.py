"""`homeward reporting rebuild`: replay the topics from their beginning into a fresh generation of
the read model, then swap it in.

1. A new generation is started; every partition of the four topics is read from offset 0 up to the
   end it had when the rebuild began, batch by batch, each batch in one transaction.
2. The swap: holding the live pointer (the live consumer waits), the records that arrived meanwhile
   are read up to the ends as they are now, the pointer moves to the new generation, and the
   transaction commits. Every event is applied once per generation whoever applies it, so the live
   consumer skips what the rebuild already applied and carries on after it.
3. The retired generation's rows are deleted.

A topic whose first records the broker no longer holds (retention deleted them) would rebuild a
smaller model than the live one: the rebuild refuses to start (`ReplayIncomplete`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.reporting.core.errors import ReplayIncomplete
from services.reporting.store import model
from shared.db import Connection, transaction
from shared.events.envelope import Envelope, MalformedEvent, parse_envelope
from shared.kafka.security import kafka_security_options
from shared.settings import Settings
from shared.topics import Topics

from .context import ReportingContext
from .projection import apply_events

log = structlog.get_logger("reporting.rebuild")

FETCH_RECORDS = 2000


@dataclass(frozen=True)
class Rebuilt:
    generation: int
    previous: int
    events: int  # records read (each applied once; malformed ones skipped, as the live consumer does)
    seconds: float


class _Replay:
    """The four topics read from the beginning, without a consumer group (nothing is committed)."""

    def __init__(self, context: ReportingContext) -> None:
        self.context = context
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=context.settings.kafka_bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=FETCH_RECORDS,
            **kafka_security_options(context.settings),
        )
        self.partitions: list[TopicPartition] = []
        self.records = 0

    async def start(self) -> None:
        await self.consumer.start()
        for spec in self.context.consumed():
            found = self.consumer.partitions_for_topic(spec.name)
            if not found:
                await self.consumer._client.force_metadata_update()  # a topic created since start
                found = self.consumer.partitions_for_topic(spec.name) or set()
            self.partitions += [TopicPartition(spec.name, p) for p in sorted(found)]
        self.consumer.assign(self.partitions)
        starts: dict[TopicPartition, int] = await self.consumer.beginning_offsets(self.partitions)
        pruned = sorted(
            f"{tp.topic}[{tp.partition}] from {offset}" for tp, offset in starts.items() if offset > 0
        )
        if pruned:
            raise ReplayIncomplete(
                "the broker no longer holds the first events of "
                + ", ".join(pruned)
                + ": a replay would miss them (the live model keeps them)"
            )
        if self.partitions:
            await self.consumer.seek_to_beginning(*self.partitions)

    async def stop(self) -> None:
        await self.consumer.stop()

    async def ends(self) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(self.partitions)
        return ends

    async def read_to(self, ends: dict[TopicPartition, int]) -> Any:
        """Yield batches of envelopes (each partition's in offset order) until every partition has
        been read up to `ends`."""
        while any([await self.consumer.position(tp) < end for tp, end in ends.items()]):
            fetched = await self.consumer.getmany(timeout_ms=500, max_records=FETCH_RECORDS)
            batch: list[Envelope] = []
            for tp, records in fetched.items():
                for record in records:
                    if record.offset >= ends.get(tp, 0):
                        # past the end this phase reads to: read again in the next phase
                        self.consumer.seek(tp, record.offset)
                        break
                    self.records += 1
                    try:
                        batch.append(parse_envelope(record.value or b""))
                    except MalformedEvent:
                        continue  # the live consumer dead-letters it: it has no effect there either
            yield batch


async def rebuild(context: ReportingContext) -> Rebuilt:
    began = time.perf_counter()
    replay = _Replay(context)
    try:
        await replay.start()
        async with transaction(context.pool) as connection:
            generation = await model.new_generation(connection)
        try:
            async for batch in replay.read_to(await replay.ends()):
                async with transaction(context.pool) as connection:
                    await apply_events(connection, generation, batch)
            async with transaction(context.pool) as connection:
                previous = await model.lock_for_swap(connection)
                await _catch_up(connection, generation, replay)
                await model.swap(connection, generation, replay.records)
        except BaseException:
            async with transaction(context.pool) as connection:
                await model.drop_generation(connection, generation)
            raise
    finally:
        await replay.stop()
    async with transaction(context.pool) as connection:
        for retired in await model.retired_generations(connection):
            await model.drop_generation(connection, retired)
    rebuilt = Rebuilt(generation, previous, replay.records, time.perf_counter() - began)
    log.info(
        "read model rebuilt",
        generation=generation,
        previous=previous,
        events=rebuilt.events,
        seconds=rebuilt.seconds,
    )
    return rebuilt


async def _catch_up(connection: Connection, generation: int, replay: _Replay) -> None:
    """What arrived while the rebuild read, applied in the swap's own transaction."""
    async for batch in replay.read_to(await replay.ends()):
        await apply_events(connection, generation, batch)


async def run_rebuild(settings: Settings) -> Rebuilt:
    """The command's whole run: migrate as the service starts, then rebuild on the runtime role's pool."""
    from services.reporting.store import PRIVILEGES
    from shared.db import create_pool
    from shared.runtime import migrate_service

    migrations = (Path(__file__).parents[1] / "migrations",)
    if settings.migrate_on_start:
        await migrate_service(settings, "reporting", migrations, PRIVILEGES)
    pool = await create_pool(
        settings.runtime_url("reporting"), settings.schema_for("reporting"), min_size=1, max_size=2
    )
    try:
        return await rebuild(ReportingContext(pool, Topics(settings.topic_prefix), settings))
    finally:
        await pool.close()
