"""One intake app per test module, on the real broker and database, in a schema and under a topic
prefix of its own; users of every role with their tokens; an httpx client on the app (in process)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from services.intake.app import create_app
from shared.auth import Role, User
from shared.db import Pool
from shared.settings import Settings
from shared.topics import Topics
from tests import conftest as shared_fixtures


@dataclass
class IntakeUnderTest:
    client: httpx.AsyncClient
    settings: Settings
    topics: Topics
    pool: Pool
    users: dict[Role, User]
    tokens: dict[Role, str]

    def auth(self, role: Role, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **headers}

    async def count(self, sql: str, *args: object) -> int:
        return int(await self.pool.fetchval(sql, *args))


def module_settings(kafka_bootstrap: str, database_url: str) -> tuple[Settings, str, str]:
    """Like the `isolated` fixture's settings, for a whole module."""
    token = uuid.uuid4().hex[:10]
    schema, prefix = f"t_{token}", f"t{token}."
    shared_fixtures._created_prefixes.append(prefix)  # its topics are deleted at the session's end
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        topic_prefix=prefix,
        db_schema=schema,
        identity_schema=f"{schema}_identity",
        outbox_poll_interval_s=0.2,
        consumer_backoff_initial_s=0.05,
        consumer_backoff_max_s=0.5,
    )
    return settings, schema, prefix


async def drop_schemas(database_url: str, schema: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for row in await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2", schema, f"{schema}\\_%"
        ):
            await connection.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await connection.close()


@pytest.fixture(scope="module")
async def intake(kafka_bootstrap: str, database_url: str) -> AsyncIterator[IntakeUnderTest]:
    settings, schema, _ = module_settings(kafka_bootstrap, database_url)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            users: dict[Role, User] = {}
            tokens: dict[Role, str] = {}
            for role in Role:
                users[role], tokens[role] = await app.state.identity.add_user(f"{role.value}-1", role)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                yield IntakeUnderTest(
                    client, settings, Topics(settings.topic_prefix), app.state.runtime.pool, users, tokens
                )
    finally:
        await drop_schemas(database_url, schema)
