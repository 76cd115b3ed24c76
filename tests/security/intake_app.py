"""One intake app for the security tests, in a corner of its own: tight API limits, and users
scoped to programmes (a caseworker for each of two programmes) beside unscoped ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from shared.db import Pool
from shared.identity.model import Role, User
from shared.identity.store import IdentityStore
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.integration.intake.helpers import family

NL, DE = "NL-AVRR", "DE-STARTHILFEPLUS"
MAX_BODY = 64_000
WRITE_BURST = 20

# name: (role, programmes)
USERS: dict[str, tuple[Role, tuple[str, ...]]] = {
    "nl-caseworker": (Role.CASEWORKER, (NL,)),
    "de-caseworker": (Role.CASEWORKER, (DE,)),
    "nl-supervisor": (Role.SUPERVISOR, (NL,)),
    "supervisor": (Role.SUPERVISOR, ()),
    "auditor": (Role.AUDITOR, ()),
}


@dataclass
class SecuredIntake:
    client: httpx.AsyncClient
    settings: Settings
    pool: Pool
    identity: IdentityStore
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def register(self, by: str, programme: str, **overrides: Any) -> dict[str, Any]:
        body = family(programme_id=programme, **overrides)
        response = await self.client.post("/v1/cases", json=body, headers=self.auth(by))
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
async def secured_intake(kafka_bootstrap: str, database_url: str) -> AsyncIterator[SecuredIntake]:
    isolation = new_isolation(
        kafka_bootstrap,
        database_url,
        api_max_body_bytes=MAX_BODY,
        api_write_burst=WRITE_BURST,
        api_writes_per_minute=6.0,
    )
    app = create_app(isolation.settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                under_test = SecuredIntake(
                    client, isolation.settings, app.state.runtime.pool, app.state.identity
                )
                for name, (role, programmes) in USERS.items():
                    user, token = await app.state.identity.add_user(name, role, programmes=programmes)
                    under_test.users[name], under_test.tokens[name] = user, token
                yield under_test
    finally:
        await release_isolation(isolation)
