"""The latency benchmark's honesty (bench/latency.py, bench/http_client.py): a 503 with Retry-After
is a refusal, counted apart and never a latency sample; anything else that is not the success is a
failure, and a rate with one failure (or one lost registration) is not met; the load generator's
client never sends on a connection the server has closed. No timings: benchmarks never run in
`make test`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bench.http_client import RawHttpClient
from bench.latency import Refused, StatusFailure, _met, open_loop
from bench.workload import registration


async def test_refused_requests_are_counted_apart_from_failures_and_are_no_latency_sample() -> None:
    async def send(index: int) -> bytes:
        if index % 4 == 1:
            raise Refused()
        if index % 4 == 2:
            raise StatusFailure("HTTP 500")
        if index % 4 == 3:
            raise asyncio.IncompleteReadError(b"", 10)
        return f"key-{index}".encode()

    run = await open_loop(10_000, 8, send)

    assert run.sent == 8
    assert sorted(run.scheduled) == [b"key-0", b"key-4"]  # only the accepted wait for their event
    assert run.refused == 2
    assert len(run.refusal_ms) == 2
    assert run.failures == {"HTTP 500": 2, "IncompleteReadError": 2}
    assert run.failed == 4


def test_a_rate_with_a_failure_or_a_lost_registration_is_not_met_whatever_its_latency() -> None:
    fine = {"failed": 0, "lost": 0, "p99 ms": 20.0, "achieved req/s": 990.0}
    assert _met(100, fine)
    assert _met(1_000, fine)
    assert not _met(100, fine | {"failed": 1})
    assert not _met(1_500, fine | {"lost": 1})
    assert not _met(1_000, fine | {"p99 ms": 51.0})
    assert not _met(1_000, fine | {"achieved req/s": 600.0})  # the rest refused: the rate not achieved
    assert _met(1_500, fine | {"achieved req/s": 600.0})  # above the target rate refusing is the answer


@pytest.fixture
async def closes_after_each_answer() -> AsyncIterator[tuple[str, list[int]]]:
    """A server that answers one request per connection and then closes it without saying so (as
    a server does when its keep-alive ends between two requests)."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", connections


async def test_the_client_never_sends_on_a_connection_the_server_has_closed(
    closes_after_each_answer: tuple[str, list[int]],
) -> None:
    url, connections = closes_after_each_answer
    client = RawHttpClient(url, {})
    try:
        answers = []
        for _ in range(3):
            answers.append(await client.request("GET", "/"))
            # the close reaches the client before its next request (a fact, waited for, not a sleep)
            idle = client._idle[-1]
            await asyncio.wait_for(idle.reader.read(), 5)
    finally:
        await client.close()
    assert answers == [(200, b"ok")] * 3
    assert len(connections) == 3  # a new connection each time, none reused after its close


async def test_a_connection_idle_longer_than_the_servers_keep_alive_is_not_used_again(
    closes_after_each_answer: tuple[str, list[int]],
) -> None:
    url, connections = closes_after_each_answer
    client = RawHttpClient(url, {}, max_idle_s=0.0)  # every idle connection counts as too old
    try:
        await client.request("GET", "/")
        stale = client._idle[-1]
        assert await client.request("GET", "/") == (200, b"ok")
    finally:
        await client.close()
    assert stale.writer.is_closing()
    assert len(connections) == 2


def test_the_load_registers_people_the_duplicate_check_tells_apart() -> None:
    """The load's people never score as one person (a 409 would stop a registration): compared
    as the store compares them, each with those of the same date of birth (their names differ)."""
    import random
    from collections import defaultdict
    from datetime import date

    from services.intake.core.matching import DEFAULT_THRESHOLD, Person, person_of, score
    from services.intake.core.requests import Member

    rng = random.Random(3)
    born: defaultdict[date, list[Person]] = defaultdict(list)
    for _ in range(3_000):
        for member in registration(rng, date(2026, 1, 1))["members"]:
            person = person_of(Member.model_validate(member))
            born[person.date_of_birth].append(person)
    pairs = [(a, b) for same in born.values() for i, a in enumerate(same) for b in same[i + 1 :]]
    assert pairs  # some share a date of birth: the check below compares something
    assert max(score(a, b).score for a, b in pairs) < DEFAULT_THRESHOLD
