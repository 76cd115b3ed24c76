"""A database pool wait has a deadline (issue 16, point 0): with every connection taken, a request
waits `HOMEWARD_DB_ACQUIRE_TIMEOUT_MS` and is answered 503 with Retry-After — not a 500, not a hang —
and a consumer sees a transient fault it retries. The connection is held with the pool itself, not
with a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from shared.db import Overloaded, Pool, bounded_waits, create_pool, transaction
from shared.http.health import database_check
from shared.http.problems import PROBLEM_JSON
from shared.http.service import service_app
from shared.settings import Settings
from shared.transient import is_transient

# a guard against a hang, never a synchronisation: without the deadline every call below waits
# for the held connection and this expires
ANSWER_WITHIN_S = 5.0


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[Pool]:
    pool = await create_pool(database_url, "public", min_size=1, max_size=1, acquire_deadline_s=0.05)
    yield pool
    await pool.close()


async def test_a_pool_with_every_connection_taken_raises_overloaded_past_its_deadline(
    one_connection: Pool,
) -> None:
    bounded = bounded_waits.set(True)  # as in an HTTP request (shared.http.overload sets it)
    try:
        await _a_pool_with_every_connection_taken(one_connection)
    finally:
        bounded_waits.reset(bounded)


async def _a_pool_with_every_connection_taken(one_connection: Pool) -> None:
    async with one_connection.acquire() as held:
        with pytest.raises(Overloaded) as in_transaction:
            async with asyncio.timeout(ANSWER_WITHIN_S), transaction(one_connection):
                pass
        with pytest.raises(Overloaded):
            async with asyncio.timeout(ANSWER_WITHIN_S):
                await one_connection.fetchval("SELECT 1")  # the pool's own calls too
        assert await held.fetchval("SELECT 2") == 2
        # busy is not down: readiness stays (a busy replica is not taken out of the load balancer)
        async with asyncio.timeout(ANSWER_WITHIN_S):
            await database_check(one_connection)()
    assert is_transient(in_transaction.value)  # a consumer retries it quietly, never dead-letters it
    async with asyncio.timeout(ANSWER_WITHIN_S):
        assert await one_connection.fetchval("SELECT 3") == 3  # free again: served as before


async def test_a_request_that_cannot_get_a_connection_is_answered_503_with_retry_after(
    one_connection: Pool,
) -> None:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = service_app(Settings(), service="test", title="test", description="test", lifespan=lifespan)

    @app.post("/v1/things")
    async def make_thing() -> dict[str, int]:
        async with transaction(one_connection) as connection:
            return {"made": await connection.fetchval("SELECT 1")}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as http:
        async with one_connection.acquire():
            refused = await asyncio.wait_for(http.post("/v1/things"), ANSWER_WITHIN_S)
        served = await asyncio.wait_for(http.post("/v1/things"), ANSWER_WITHIN_S)

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert refused.json()["type"] == "/problems/unavailable"
    assert "nothing was changed" in refused.json()["detail"]
    assert served.status_code == 200
    assert served.json() == {"made": 1}


async def test_outside_a_request_the_pool_is_waited_for_as_long_as_it_takes(one_connection: Pool) -> None:
    """The outbox relay, consumers and jobs are never refused a connection: they wait their turn."""
    async with one_connection.acquire() as held:
        waiting = asyncio.create_task(one_connection.fetchval("SELECT 4"))
        # still waiting well past the deadline: it was not refused (asyncio.wait returns on a
        # refusal at once, so this is a bound on a wait that must not end, not a synchronisation)
        done, _ = await asyncio.wait([waiting], timeout=0.5)
        assert not done
        assert await held.fetchval("SELECT 5") == 5
    async with asyncio.timeout(ANSWER_WITHIN_S):
        assert await waiting == 4
