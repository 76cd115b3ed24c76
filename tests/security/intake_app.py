"""One intake app for the security tests, in a corner of its own: tight API limits, and users
scoped to one programme (a caseworker for each of two programmes) beside users of every programme,
a user of none, and caseworkers limited to their office's or their own cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from shared.db import Pool
from shared.identity.model import CaseScope, Role, User
from shared.identity.store import IdentityStore
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.integration.intake.helpers import family
from tests.support import TEST_PASSWORD, add_person, every_programme, sign_in

NL, DE = "NL-AVRR", "DE-STARTHILFEPLUS"
MAX_BODY = 64_000
WRITE_BURST = 20

EVERY = every_programme()
# name: (role, programmes, office, case scope)
USERS: dict[str, tuple[Role, tuple[str, ...], str | None, CaseScope]] = {
    "nl-caseworker": (Role.CASEWORKER, (NL,), "skopje", CaseScope.PROGRAMMES),
    "de-caseworker": (Role.CASEWORKER, (DE,), "bitola", CaseScope.PROGRAMMES),
    "nl-supervisor": (Role.SUPERVISOR, (NL,), "skopje", CaseScope.PROGRAMMES),
    "supervisor": (Role.SUPERVISOR, EVERY, None, CaseScope.PROGRAMMES),
    "auditor": (Role.AUDITOR, EVERY, None, CaseScope.PROGRAMMES),
    "nobody's-caseworker": (Role.CASEWORKER, (), None, CaseScope.PROGRAMMES),
    "skopje-caseworker": (Role.CASEWORKER, (NL,), "skopje", CaseScope.OFFICE),
    "bitola-caseworker": (Role.CASEWORKER, (NL,), "bitola", CaseScope.OFFICE),
    "own-caseworker": (Role.CASEWORKER, (NL,), "skopje", CaseScope.ASSIGNED),
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

    async def page(self, name: str) -> dict[str, str]:
        """`name`'s session cookie, signed in on the page with their password."""
        return await sign_in(self.client, name, TEST_PASSWORD)

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
                for name, (role, programmes, office, scope) in USERS.items():
                    user, token = await add_person(
                        app.state.identity, name, role, programmes, office=office, case_scope=scope
                    )
                    under_test.users[name], under_test.tokens[name] = user, token
                yield under_test
    finally:
        await release_isolation(isolation)
