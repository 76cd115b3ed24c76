"""Verified API tokens kept in memory (shared.identity.verified), as two replicas of a service
hold them: two IdentityStores on two pools, each with its own cache and listener. What one replica
revokes or changes, the other stops serving at once (LISTEN/NOTIFY), however long its entries
could otherwise live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial

import asyncpg
import pytest

from shared.db import Pool, create_pool
from shared.identity.model import CaseScope, Role
from shared.identity.store import IdentityStore, migrate_identity
from shared.identity.verified import IdentityListener, VerifiedTokens
from tests.conftest import Isolated
from tests.support import eventually, now

pytestmark = pytest.mark.integration

LONG = 3600.0  # far longer than any test: only a notice can end an entry


@dataclass
class Replica:
    store: IdentityStore
    cache: VerifiedTokens
    listener: IdentityListener
    pool: Pool


@pytest.fixture
async def replicas(isolated: Isolated) -> AsyncIterator[tuple[Replica, Replica]]:
    settings = isolated.settings
    schema = settings.identity_schema
    await migrate_identity(settings.database_url, schema)
    made: list[Replica] = []
    for _ in range(2):
        pool = await create_pool(settings.database_url, schema, min_size=1, max_size=2)
        cache = VerifiedTokens(max_age_s=LONG)
        listener = IdentityListener(
            cache,
            schema,
            partial(asyncpg.connect, settings.database_url),
            ping_every_s=0.5,
            retry_after_s=0.1,
        )
        listener.start()
        made.append(Replica(IdentityStore(pool, schema, cache), cache, listener, pool))
    for replica in made:
        await eventually(lambda r=replica: now(r.listener.up.is_set()), what="listening")  # type: ignore[misc]
    yield made[0], made[1]
    for replica in made:
        await replica.listener.stop()
        await replica.pool.close()


async def _refused(replica: Replica, token: str) -> bool:
    return await replica.store.tokens.user_for_token(token) is None


async def test_a_token_revoked_in_one_replica_is_refused_at_once_by_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    user, token = await a.store.add_user("ana", Role.CASEWORKER, programmes=["NL-AVRR"])
    assert (await b.store.tokens.user_for_token(token)) == user
    assert len(b.cache) == 1  # verified once, then served from memory
    assert (await a.store.tokens.user_for_token(token)) == user
    [issued] = await a.store.tokens.tokens_of(user.id)

    assert await a.store.tokens.revoke(issued.id, by=None) is not None

    assert await a.store.tokens.user_for_token(token) is None  # the replica that revoked: at once

    await eventually(lambda: _refused(b, token), timeout=5, what="the revoked token refused by replica B")
    assert len(b.cache) == 0
    for _ in range(3):  # and never served again
        assert await b.store.tokens.user_for_token(token) is None


async def test_a_revoked_user_and_a_changed_grant_reach_the_other_replica(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    ana, ana_token = await a.store.add_user("ana", Role.CASEWORKER, programmes=["NL-AVRR"])
    bo, bo_token = await a.store.add_user("bo", Role.CASEWORKER, programmes=["NL-AVRR"])
    assert (await b.store.tokens.user_for_token(ana_token)) == ana
    assert (await b.store.tokens.user_for_token(bo_token)) == bo

    await a.store.change_grant(
        ana.id, role=Role.AUDITOR, programmes=["CH-RKH"], office=None, case_scope=CaseScope.PROGRAMMES,
        by=None, via="test",
    )  # fmt: skip

    async def ana_is_an_auditor() -> bool:
        found = await b.store.tokens.user_for_token(ana_token)
        return found is not None and found.role is Role.AUDITOR and found.programmes == {"CH-RKH"}

    await eventually(ana_is_an_auditor, timeout=5, what="ana's new grant seen by replica B")

    assert await a.store.revoke_user(bo.id, by=None, via="test")
    await eventually(lambda: _refused(b, bo_token), timeout=5, what="the revoked user refused by replica B")


async def test_while_the_listener_is_down_nothing_is_served_from_memory(
    replicas: tuple[Replica, Replica], isolated: Isolated
) -> None:
    a, b = replicas
    _, token = await a.store.add_user("ana", Role.CASEWORKER, programmes=["NL-AVRR"])
    assert await b.store.tokens.user_for_token(token) is not None
    assert len(b.cache) == 1

    # the listening connection of replica B dies (a notice sent now would be lost)
    connection = await asyncpg.connect(isolated.settings.database_url)
    try:
        assert await connection.fetchval("SELECT pg_terminate_backend($1)", b.listener.server_pid)
    finally:
        await connection.close()
    await eventually(lambda: now(not b.cache.listening), timeout=5, what="replica B noticing")
    assert len(b.cache) == 0
    assert b.cache.get("anything") is None

    await eventually(lambda: now(b.listener.up.is_set()), timeout=10, what="replica B listening again")
    assert await b.store.tokens.user_for_token(token) is not None  # read afresh, and kept again
    assert len(b.cache) == 1
