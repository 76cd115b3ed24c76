"""How many times one registration waits on PostgreSQL (issue 16: as few round trips as the rules
allow). Counted on the request's own task, so the relay, the consumers and the jobs running beside
it are not; the pool's reset of a connection it takes back counts as one."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from asyncpg.pool import Pool

from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family

pytestmark = pytest.mark.integration


@contextmanager
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Statements sent on the current task, by their first words; `release` for each reset."""
    counted: Counter[str] = Counter()
    task = asyncio.current_task()
    connection = asyncpg.connection.Connection

    def counting(name: str, original: Any, *, only_without_args: bool = False) -> Any:
        async def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            if asyncio.current_task() is task and not (only_without_args and args):
                counted[" ".join(str(query).split()[:3])] += 1
            return await original(self, query, *args, **kwargs)

        monkeypatch.setattr(connection, name, wrapper)

    counting("_execute", connection._execute)
    counting("_executemany", connection._executemany)
    # execute() without arguments (BEGIN, COMMIT) goes straight to the protocol
    counting("execute", connection.execute, only_without_args=True)
    release = Pool.release

    async def counting_release(self: Any, *args: Any, **kwargs: Any) -> Any:
        if asyncio.current_task() is task:
            counted["release (reset)"] += 1
        return await release(self, *args, **kwargs)

    monkeypatch.setattr(Pool, "release", counting_release)
    yield counted


async def test_a_registration_waits_on_the_database_only_a_few_times(
    intake: IntakeUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = intake.auth(Role.CASEWORKER)
    warm = await intake.client.post("/v1/cases", json=family(), headers=headers)  # statements prepared
    assert warm.status_code == 201, warm.text

    with round_trips(monkeypatch) as counted:
        response = await intake.client.post("/v1/cases", json=family(), headers=headers)

    assert response.status_code == 201, response.text
    print("round trips of one registration:", sum(counted.values()), dict(counted))
    # BEGIN, the blocking keys locked (one statement), the people sharing a key, the case with its
    # people, history line, access log and outbox rows (one statement), COMMIT, the pool's reset;
    # the bearer token comes from memory (it was verified by the first request)
    assert sum(counted.values()) <= 6
