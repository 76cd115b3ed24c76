"""The full accounting every fault test ends with. It reads the topics from the beginning and the
services' tables directly (outbox, inbox, referrals, grants, ledger), and checks:

- quiet first: every outbox sent and every consumer group caught up (polled with a deadline);
- outbox ↔ topics: every committed event is on its topic, nothing is on a topic that did not
  commit; copies of one event id (at-least-once relay) are counted, never an error;
- inbox: each consumer took effect for exactly the valid events of its topics, poison never;
- dead letters: each `.dlq` holds exactly the poison sent (compared as bytes, one per consumer group
  that refused it), nothing else; a copy of one group's dead letter of one record (a consumer that
  died before committing dead-letters it again) is counted, never an error;
- referrals: one referral per (case, needed category), in the status routing must give it, and on
  the partner topics exactly that referral (never a second one, never none) for every issued one;
- grants: one grant per approved plan; every installment disbursed at most once (ledger and
  events agree); debits equal credits per currency and per transaction; the hash chain verifies.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import asyncpg

from shared.events import Envelope, parse_envelope

from . import kafka_view
from .books import CONSUMERS, Books, Expected, publishes, short
from .grant_checks import check_grants
from .processes import Corner
from .referral_checks import check_referrals


async def wait_quiet(corner: Corner, running: list[str], timeout: float = 60.0) -> None:
    """Until every outbox is sent and every consumer group has committed up to the end of its
    topics, with nothing new arriving meanwhile."""
    deadline, last = time.monotonic() + timeout, "nothing checked yet"
    connection = await asyncpg.connect(corner.database_url)
    try:
        while time.monotonic() < deadline:
            last = await _not_quiet(connection, corner, running)
            if not last:
                return
            await asyncio.sleep(0.25)
    finally:
        await connection.close()
    raise AssertionError(f"not quiet after {timeout:.0f}s: {last}")


async def _not_quiet(connection: Any, corner: Corner, running: list[str]) -> str:
    topics = await kafka_view.topics_with_prefix(corner.bootstrap, corner.prefix)
    ends = await kafka_view.end_offsets(corner.bootstrap, topics)
    for service in running:
        unsent = await connection.fetchval(
            f'SELECT count(*) FROM "{corner.schema(service)}".outbox WHERE sent_at IS NULL'
        )
        if unsent:
            return f"{service} has {unsent} outbox rows unsent"
    for (service, topic), (_, group) in CONSUMERS.items():
        if service not in running:
            continue
        done = await kafka_view.committed(corner.bootstrap, corner.prefix + group)
        behind = {tp: end - done.get(tp, 0) for tp, end in ends.items() if tp.topic == corner.prefix + topic}
        if any(behind.values()):
            return f"{service} is {sum(behind.values())} records behind on {topic}"
    if await kafka_view.end_offsets(corner.bootstrap, topics) != ends:
        return "records still arriving"
    return ""


async def account(corner: Corner, running: list[str], expected: Expected, timeout: float = 60.0) -> Books:
    await wait_quiet(corner, running, timeout)
    names = await kafka_view.topics_with_prefix(corner.bootstrap, corner.prefix)
    records = {
        short(corner.prefix, t): rs for t, rs in (await kafka_view.read_all(corner.bootstrap, names)).items()
    }
    books = Books()
    envelopes: dict[str, list[Envelope]] = {}
    for topic, found in records.items():
        if topic.endswith(".dlq"):
            continue
        parsed = [_envelope(r.value) for r in found if r.value not in _all_poison(expected)]
        envelopes[topic] = [e for e in parsed if e is not None]
        copies = Counter(e.event_id for e in envelopes[topic])
        books.events[topic], books.copies[topic] = len(copies), sum(copies.values()) - len(copies)
    for topic, sent in expected.sent.items():
        missing = sent - {e.event_id for e in envelopes.get(topic, [])}
        assert not missing, f"{len(missing)} events the test sent are not on {topic}"
    _dead_letters(records, expected, books)
    connection = await asyncpg.connect(corner.database_url)
    try:
        for service in running:
            await _outbox_matches_topics(connection, corner, service, envelopes)
            await _inbox_matches_topics(connection, corner, service, records, expected, books)
        if "referral" in running:
            await check_referrals(connection, corner.schema("referral"), envelopes, expected, books)
        if "grants" in running:
            await check_grants(connection, corner, envelopes, expected, books)
    finally:
        await connection.close()
    return books


def _envelope(value: bytes | None) -> Envelope | None:
    try:
        return parse_envelope(value or b"")
    except ValueError:
        return None


def _all_poison(expected: Expected) -> set[bytes]:
    return {value for poison in expected.dead_letters.values() for value in poison}


def _dead_letters(records: dict[str, list[Any]], expected: Expected, books: Books) -> None:
    for topic in [t for t in records if t.endswith(".dlq")]:
        source = topic.removesuffix(".dlq")
        # one dead letter per (record refused, consumer group that refused it)
        letters = {_refusal(r): bytes(r.value or b"") for r in records[topic]}
        got = Counter(letters.values())
        books.copies[topic] = len(records[topic]) - len(letters)
        want = expected.dead_letters.get(source, Counter())
        assert got == want, (
            f"{topic}: {sum((got - want).values())} unexpected dead letters "
            f"{[v[:120] for v in (got - want)]}, {sum((want - got).values())} poison missing"
        )
        if got or want:  # an empty dead-letter topic (the partners' answers', here unused) is no entry
            books.dead_letters[source] = sum(got.values())


def _refusal(record: Any) -> tuple[str, ...]:
    headers = {k: bytes(v).decode() for k, v in record.headers or ()}
    return tuple(
        headers.get(f"x-dlq-{name}", "")
        for name in ("source-topic", "source-partition", "source-offset", "consumer-group")
    )


async def _outbox_matches_topics(
    connection: Any, corner: Corner, service: str, envelopes: dict[str, list[Envelope]]
) -> None:
    rows = await connection.fetch(f'SELECT event_id, topic, sent_at FROM "{corner.schema(service)}".outbox')
    assert all(r["sent_at"] is not None for r in rows), f"{service}: outbox rows left unsent"
    committed = {(short(corner.prefix, r["topic"]), r["event_id"]) for r in rows}
    on_topics = {
        (topic, e.event_id)
        for topic, found in envelopes.items()
        if publishes(service, topic)
        for e in found
        if e.producer == service
    }
    assert committed - on_topics == set(), (
        f"{service}: {len(committed - on_topics)} committed events never published"
    )
    assert on_topics - committed == set(), (
        f"{service}: {len(on_topics - committed)} events published without a commit"
    )


async def _inbox_matches_topics(
    connection: Any,
    corner: Corner,
    service: str,
    records: dict[str, list[Any]],
    expected: Expected,
    books: Books,
) -> None:
    for (owner, topic), (consumer, _) in CONSUMERS.items():
        if owner != service:
            continue
        refused = expected.refused_by.get(consumer, set())
        valid = {
            e.event_id
            for r in records.get(topic, [])
            if r.value not in refused and (e := _envelope(r.value)) is not None
        }
        inbox = {
            row["event_id"]
            for row in await connection.fetch(
                f'SELECT event_id FROM "{corner.schema(service)}".inbox WHERE consumer = $1 AND topic = $2',
                consumer,
                corner.prefix + topic,
            )
        }
        assert inbox == valid, (
            f"{consumer} on {topic}: {len(valid - inbox)} valid events not applied, "
            f"{len(inbox - valid)} applied that are not valid events of the topic"
        )
        books.inbox[f"{consumer}<{topic.removesuffix('.v1')}"] = len(inbox)
