"""Outbox rows the broker refuses, on the real broker and database: a record too large and a topic
that does not exist are tried a bounded number of times, then parked with their reason and reported
(an alert, `homeward_outbox_parked_rows`); each holds back only the later rows of its own key, and
`homeward outbox` lists and re-queues them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import pytest

from homeward.cli import main
from shared import outbox
from shared.db import Pool, create_pool, migrate, transaction
from shared.events import new_envelope, parse_envelope
from shared.events.intake import CaseClosed
from shared.kafka.producer import create_producer
from shared.outbox import OutboxRelay
from shared.outbox.relay import report_backlog
from shared.outbox.store import parked_rows
from tests.conftest import Isolated
from tests.support import eventually, read_topic

from .consuming import alerts, create_topic, sample

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.settings.database_url, isolated.schema, [])
    pool = await create_pool(isolated.settings.database_url, isolated.schema, min_size=1, max_size=3)
    yield pool
    await pool.close()


async def queue(pool: Pool, topic: str, key: str, by: str) -> UUID:
    envelope = new_envelope(CaseClosed(case_id=key, reason="other", closed_by=by), key=key, producer="test")
    async with transaction(pool) as connection:
        await outbox.append(connection, topic, envelope)
    return envelope.event_id


async def queue_too_large(pool: Pool, topic: str, key: str) -> UUID:
    """A row whose record is larger than the broker takes (its default limit is 1 MiB)."""
    event_id = uuid4()
    await pool.execute(
        "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)",
        event_id,
        topic,
        key,
        b"x" * 1_200_000,
    )
    return event_id


async def test_a_row_the_broker_refuses_is_parked_and_holds_back_only_the_later_rows_of_its_key(
    isolated: Isolated,
    pool: Pool,
    kafka_bootstrap: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic, nowhere = f"{isolated.topic_prefix}parking.v1", f"{isolated.topic_prefix}nowhere.v1"
    await create_topic(kafka_bootstrap, topic, partitions=3)
    first, second, third = str(uuid4()), str(uuid4()), str(uuid4())
    a1 = await queue(pool, topic, first, "a1")
    too_large = await queue_too_large(pool, topic, first)
    a3 = await queue(pool, topic, first, "a3")  # after the refused row, in its key: must wait
    lost = await queue(pool, nowhere, third, "c1")  # a topic nobody created
    b = [await queue(pool, topic, second, f"b{n}") for n in range(3)]  # another case: must go on

    producer = create_producer(isolated.settings, client_id="parking-relay")
    await producer.start()
    relay = OutboxRelay(
        pool, producer, isolated.schema, poll_interval_s=0.1, max_attempts=3, topic_wait_s=0.3
    )
    task = asyncio.create_task(relay.run())
    try:
        published = await _published(kafka_bootstrap, topic, 4)
        # the other case was not held up; the refused row's case was, after the row before it
        assert sorted(published) == sorted([a1, *b])
        assert [e for e in published if e in b] == b

        await eventually(lambda: _parked(isolated.schema, 2), timeout=30, what="two rows parked")
        async with pool.acquire() as connection:
            parked = await parked_rows(connection)
        assert [(row.event_id, row.attempts) for row in parked] == [(too_large, 3), (lost, 3)]
        assert "MessageSizeTooLargeError" in parked[0].reason
        assert f"unknown topic {nowhere}" in parked[1].reason
        reported = [a for a in alerts(caplog.records) if a.get("event", "").startswith("outbox row parked")]
        assert sorted(a["event_id"] for a in reported) == sorted([str(too_large), str(lost)])

        monkeypatch.setenv("HOMEWARD_DATABASE_URL", isolated.settings.database_url)
        capsys.readouterr()
        # the command runs its own event loop, as from a shell
        assert await asyncio.to_thread(main, ["outbox", "list-parked", "--schema", isolated.schema]) == 0
        listed = capsys.readouterr().out
        assert str(too_large) in listed
        assert str(lost) in listed
        assert "2 parked row(s)" in listed

        await create_topic(kafka_bootstrap, nowhere)  # the cause fixed, the row re-queued
        requeue = ["outbox", "requeue", "--schema", isolated.schema, "--id", str(parked[1].id)]
        assert await asyncio.to_thread(main, requeue) == 0
        delivered = await read_topic(kafka_bootstrap, nowhere, at_least=1)
        assert [parse_envelope(r.value).event_id for r in delivered] == [lost]
    finally:
        relay.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await producer.stop()

    backlog = await report_backlog(pool, isolated.schema)
    assert (backlog.waiting, backlog.parked) == (1, 1)  # a3 still waits behind its parked row
    assert sample("homeward_outbox_parked_rows", schema=isolated.schema) == 1
    assert sorted(await _published(kafka_bootstrap, topic, 4)) == sorted([a1, *b])  # a3 not among them
    assert a3 not in await _published(kafka_bootstrap, topic, 4)


async def _published(bootstrap: str, topic: str, at_least: int) -> list[UUID]:
    """The event ids on `topic`, each partition's in offset order."""
    records = await read_topic(bootstrap, topic, at_least=at_least, timeout=30)
    return [parse_envelope(r.value).event_id for r in sorted(records, key=lambda r: (r.partition, r.offset))]


async def _parked(schema: str, count: int) -> bool:
    return sample("homeward_outbox_parked_rows", schema=schema) == count
