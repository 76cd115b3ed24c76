"""Bearer tokens and roles, as every service's API uses them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI

from shared.db import Pool, create_pool
from shared.http.auth import require_roles
from shared.http.problems import install_problems
from shared.identity.model import CaseScope, GrantChange, Role, User, hash_token
from shared.identity.store import IdentityStore, migrate_identity
from tests.conftest import Isolated

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(isolated: Isolated) -> AsyncIterator[IdentityStore]:
    settings = isolated.settings
    await migrate_identity(settings.database_url, settings.identity_schema)
    pool: Pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=2)
    yield IdentityStore(pool, settings.identity_schema)
    await pool.close()


@pytest.fixture
async def client(store: IdentityStore, isolated: Isolated) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problems(app)
    app.state.identity = store
    app.state.settings = isolated.settings  # as `service_app` leaves it (the session cookie's name)

    @app.post("/plans/approve")
    async def approve(user: User = Depends(require_roles(Role.SUPERVISOR))) -> dict[str, str]:
        return {"approved_by": user.name}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_no_token_or_an_unknown_one_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/plans/approve")).status_code == 401
    unknown = await client.post("/plans/approve", headers=bearer("hw_made-up"))
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == "Bearer"


async def test_the_wrong_role_is_403_and_the_right_one_passes(
    client: httpx.AsyncClient, store: IdentityStore
) -> None:
    _, caseworker = await store.add_user("ana", Role.CASEWORKER)
    _, supervisor = await store.add_user("bojan", Role.SUPERVISOR)

    refused = await client.post("/plans/approve", headers=bearer(caseworker))
    assert refused.status_code == 403
    assert "supervisor" in refused.json()["detail"]
    allowed = await client.post("/plans/approve", headers=bearer(supervisor))
    assert allowed.status_code == 200
    assert allowed.json() == {"approved_by": "bojan"}


async def test_tokens_are_stored_only_as_hashes(store: IdentityStore) -> None:
    user, token = await store.add_user("vesna", Role.FINANCE)
    stored = await store.pool.fetchval(
        f'SELECT token_hash FROM "{store.schema}".api_tokens WHERE user_id = $1', user.id
    )
    assert stored == hash_token(token)
    assert token not in stored


async def test_every_grant_is_recorded_and_the_record_cannot_be_rewritten(store: IdentityStore) -> None:
    import asyncpg

    admin, _ = await store.add_user("root-admin", Role.ADMIN)
    user, _ = await store.add_user("petar", Role.CASEWORKER, programmes=["NL-AVRR"])
    await store.change_grant(
        user.id, role=Role.SUPERVISOR, programmes=["NL-AVRR"], office="skopje",
        case_scope=CaseScope.PROGRAMMES, by=admin.id, via="http",
    )  # fmt: skip
    assert await store.revoke_user(user.id, by=admin.id, via="http")
    grants = await store.grants_of(user.id)
    assert [(g.change, g.role, g.granted_by, g.via) for g in grants] == [
        (GrantChange.GRANTED, Role.CASEWORKER, None, "cli"),
        (GrantChange.CHANGED, Role.SUPERVISOR, admin.id, "http"),
        (GrantChange.REVOKED, Role.SUPERVISOR, admin.id, "http"),
    ]
    for tampering in (
        f'UPDATE "{store.schema}".role_grants SET granted_by = NULL',
        f'DELETE FROM "{store.schema}".role_grants',
        f'TRUNCATE "{store.schema}".role_grants',
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await store.pool.execute(tampering)
    assert len(await store.grants_of(user.id)) == 3


async def test_a_revoked_or_expired_token_stops_working(
    client: httpx.AsyncClient, store: IdentityStore
) -> None:
    _, revoked = await store.add_user("goran", Role.SUPERVISOR)
    _, expired = await store.add_user(
        "jana", Role.SUPERVISOR, expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    assert (await client.post("/plans/approve", headers=bearer(revoked))).status_code == 200

    assert await store.revoke("goran")
    assert (await client.post("/plans/approve", headers=bearer(revoked))).status_code == 401
    assert (await client.post("/plans/approve", headers=bearer(expired))).status_code == 401
