"""One intake app per test module, on the real broker and database, in a schema and under a topic
prefix of its own; users of every role with their tokens; an httpx client on the app (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from shared.db import Pool
from shared.identity.model import Role, User
from shared.settings import Settings
from shared.topics import Topics
from tests.conftest import new_isolation, release_isolation
from tests.support import TEST_PASSWORD, add_person, sign_in


@dataclass
class IntakeUnderTest:
    client: httpx.AsyncClient
    settings: Settings
    topics: Topics
    pool: Pool
    users: dict[Role, User]
    tokens: dict[Role, str]
    identity: Any = None  # the app's identity store: tests add users of their own scope with it
    runtime: Any = None  # the app's shared runtime (its pool, relay, identity listener)

    def auth(self, role: Role, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **headers}

    async def page(self, role: Role) -> dict[str, str]:
        """The session cookie of `role`'s user, signed in on the page with their password."""
        return await sign_in(self.client, self.users[role].name, TEST_PASSWORD)

    async def count(self, sql: str, *args: object) -> int:
        return int(await self.pool.fetchval(sql, *args))


@pytest.fixture(scope="module")
async def intake(kafka_bootstrap: str, database_url: str) -> AsyncIterator[IntakeUnderTest]:
    isolation = new_isolation(kafka_bootstrap, database_url)
    settings = isolation.settings
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            users: dict[Role, User] = {}
            tokens: dict[Role, str] = {}
            for role in Role:
                users[role], tokens[role] = await add_person(app.state.identity, f"{role.value}-1", role)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                yield IntakeUnderTest(
                    client,
                    settings,
                    Topics(settings.topic_prefix),
                    app.state.runtime.pool,
                    users,
                    tokens,
                    app.state.identity,
                    app.state.runtime,
                )
    finally:
        await release_isolation(isolation)
