"""How many times one registration waits on PostgreSQL (issue 16: as few round trips as the rules
allow). Counted on the request's own task, so the relay, the consumers and the jobs running beside
it are not; the pool's reset of a connection it takes back counts as one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg
import pytest

from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family
from tests.support import eventually, now

pytestmark = pytest.mark.integration


_COUNTING: ContextVar[bool] = ContextVar("counting_round_trips", default=False)


@contextmanager
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Statements sent from the current task and the tasks it starts (asyncpg releases a
    connection, and resets it, in a task of its own), by their first words. The relay, the
    consumers and the jobs run in tasks started before: their statements are not counted."""
    counted: Counter[str] = Counter()
    connection = asyncpg.connection.Connection

    def counting(name: str, original: Any, *, only_without_args: bool = False) -> None:
        async def wrapper(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            if _COUNTING.get() and not (only_without_args and args):
                counted[" ".join(str(query).split()[:3])] += 1
            return await original(self, query, *args, **kwargs)

        monkeypatch.setattr(connection, name, wrapper)

    counting("_execute", getattr(connection, "_execute"))  # noqa: B009 (private: not in the stubs)
    counting("_executemany", getattr(connection, "_executemany"))  # noqa: B009
    # execute() without arguments (BEGIN, COMMIT, a pool's reset) goes straight to the protocol
    counting("execute", connection.execute, only_without_args=True)
    token = _COUNTING.set(True)
    try:
        yield counted
    finally:
        _COUNTING.reset(token)


async def test_a_registration_waits_on_the_database_only_a_few_times(
    intake: IntakeUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    listening = intake.runtime.identity_listener.up
    # until the app listens for identity notices its token cache is off (a revocation could be
    # missed): a registration sent before that reads its token from the database
    await eventually(lambda: now(listening.is_set()), what="intake listening for identity notices")
    headers = intake.auth(Role.CASEWORKER)
    warm = await intake.client.post("/v1/cases", json=family(), headers=headers)  # statements prepared
    assert warm.status_code == 201, warm.text

    with round_trips(monkeypatch) as counted:
        response = await intake.client.post("/v1/cases", json=family(), headers=headers)

    assert response.status_code == 201, response.text
    print("round trips of one registration:", sum(counted.values()), dict(counted))
    # BEGIN, the blocking keys locked (one statement), the people sharing a key, the case with its
    # people, history line, access log and outbox rows (one statement), COMMIT; no reset when the
    # pool takes the connection back (shared.db); the bearer token comes from memory
    assert sum(counted.values()) <= 5
