"""One grants service per test module, against the real broker and database.

`isolated` is per test; starting the service (migrations, topics, consumer group) once per module
keeps these tests fast, so `service` builds the same kind of private corner (schema, topic prefix,
identity schema) at module scope. After every test the books must balance (`books_balance`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.grants.app import create_app
from services.grants.core.rules import REFERENCE
from services.grants.use_cases.context import GrantsContext, utc_today
from shared.db import Pool
from shared.events import Envelope, new_envelope, parse_envelope
from shared.events.intake import CaseClosed, ReintegrationPlanApproved
from shared.identity.model import Role
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.support import eventually, every_programme, publish, read_topic
from tests.support_books import commitments_not_owed

OFFICERS = {"fin-a": Role.FINANCE, "fin-b": Role.FINANCE, "fin-c": Role.FINANCE, "aud-1": Role.AUDITOR}
# readers of one programme each (test_scopes.py); the officers above see every programme
SCOPED = {"fin-nl": (Role.FINANCE, "NL-AVRR"), "aud-de": (Role.AUDITOR, "DE-STARTHILFEPLUS")}


@dataclass
class Clock:
    """The service's idea of today, which a test may move."""

    today: date = field(default_factory=utc_today)

    def __call__(self) -> date:
        return self.today


@dataclass
class GrantsService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings
    schema: str
    tokens: dict[str, str]
    clock: Clock

    @property
    def context(self) -> GrantsContext:
        context: GrantsContext = self.app.state.grants
        return context

    @property
    def pool(self) -> Pool:
        """The service's own pool: it runs as a role that owns nothing."""
        return self.context.pool

    @asynccontextmanager
    async def as_owner(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection as the owner of the grants tables (what migrations run as)."""
        connection = await asyncpg.connect(
            self.settings.owner_url(), server_settings={"search_path": self.schema}
        )
        try:
            yield connection
        finally:
            await connection.close()

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def get(self, path: str, who: str = "aud-1", **params: Any) -> Any:
        response = await self.client.get(path, headers=self.auth(who), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(self, path: str, who: str, body: Any = None, **headers: str) -> httpx.Response:
        return await self.client.post(path, headers={**self.auth(who), **headers}, json=body)

    async def fund(self, programme: str, amount: int, currency: str = "EUR") -> dict[str, Any]:
        response = await self.post(
            f"/v1/programmes/{programme}/funding",
            "fin-a",
            {
                "amount": {"amount": amount, "currency": currency},
                "reference": f"transfer-{uuid.uuid4().hex[:8]}",
            },
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def deliver(self, *envelopes: Envelope) -> None:
        """Publish intake events as intake would: keyed by case id."""
        topic = self.context.topics.returnees.name
        for envelope in envelopes:
            await publish(
                self.settings.kafka_bootstrap_servers, topic, [envelope.to_bytes()], key=envelope.key.encode()
            )

    async def deliver_status(self, *envelopes: Envelope) -> None:
        """Publish referral status events as referral would: keyed by case id."""
        topic = self.context.topics.referral_status.name
        for envelope in envelopes:
            await publish(
                self.settings.kafka_bootstrap_servers, topic, [envelope.to_bytes()], key=envelope.key.encode()
            )

    async def grant_of(self, case_id: UUID, *, timeout: float = 20.0) -> dict[str, Any]:
        async def found() -> list[dict[str, Any]]:
            grants: list[dict[str, Any]] = await self.get("/v1/grants", case_id=str(case_id))
            return grants

        grants = await eventually(found, timeout=timeout, what=f"a grant for case {case_id}")
        assert len(grants) == 1, grants
        detail: dict[str, Any] = await self.get(f"/v1/grants/{grants[0]['id']}")
        return detail

    async def processed(self, envelope: Envelope) -> None:
        """Wait until the consumer has recorded `envelope` in its inbox."""

        async def recorded() -> bool:
            count = await self.pool.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = $1", envelope.event_id
            )
            return bool(count)

        await eventually(recorded, what=f"{envelope.type} {envelope.event_id} in the inbox")

    async def published(self, case_id: UUID, at_least: int) -> list[Envelope]:
        """The events grants published on grants.installments.v1 for this case, in order."""
        topic = self.context.topics.grants_installments.name

        async def enough() -> list[Envelope]:
            records = await read_topic(self.settings.kafka_bootstrap_servers, topic)
            mine = [
                parse_envelope(r.value)
                for r in sorted(records, key=lambda r: r.offset)
                if r.key == str(case_id).encode()
            ]
            return mine if len(mine) >= at_least else []

        return await eventually(
            enough, timeout=20, interval=0.3, what=f"{at_least} grant events for case {case_id}"
        )


def plan_approved(plan: ReintegrationPlanApproved) -> Envelope:
    return new_envelope(plan, key=plan.case_id, producer="intake")


def case_closed(case_id: UUID, reason: str = "reintegrated") -> Envelope:
    return new_envelope(
        CaseClosed(case_id=case_id, reason=reason, closed_by="cw-1"), key=case_id, producer="intake"
    )


@pytest.fixture(scope="module")
async def service(
    kafka_bootstrap: str, database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[GrantsService]:
    """A test module may define `ledger_settings()` (a LedgerSettings) to sign checkpoints its way."""
    isolation = new_isolation(kafka_bootstrap, database_url)
    settings, schema = isolation.settings, isolation.schema
    clock = Clock()
    app = create_app(
        settings,
        ledger_settings=getattr(request.module, "ledger_settings", lambda: None)(),
        due_check_interval_s=3600,
        today=clock,
    )
    try:
        async with app.router.lifespan_context(app):
            tokens = {}
            identity = app.state.identity
            for name, role in OFFICERS.items():
                _, tokens[name] = await identity.add_user(name, role, programmes=every_programme())
            for name, (role, programme) in SCOPED.items():
                _, tokens[name] = await identity.add_user(name, role, programmes=[programme])
            _, tokens["cw-1"] = await identity.add_user("cw-1", Role.CASEWORKER, programmes=every_programme())
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://grants") as client:
                yield GrantsService(app, client, settings, schema, tokens, clock)
    finally:
        await release_isolation(isolation)


# Every memo grants writes into the chained ledger (which is never erased): a code, or a reference
# (services/grants/core/rules.py REFERENCE), never free text a person could be named in.
REF = REFERENCE.removeprefix("^").removesuffix("$")
MEMO = re.compile(
    rf"|{REF}|(cash|bank_transfer|supplier_invoice); ref {REF}(; invoice {REF})?"
    r"|payment failed: [a-z_]+|case closed: [a-z_]+|payment returned after the case closed"
    r"|installment [0-9]+ cancelled: [a-z_]+|plan amended"
)


@pytest.fixture(autouse=True)
async def books_balance(service: GrantsService) -> AsyncIterator[None]:
    """After every test: debits equal credits in every currency, overall and per transaction; and
    every memo in the ledger is a code or a reference."""
    yield
    memos = {r["memo"] for r in await service.pool.fetch("SELECT DISTINCT memo FROM ledger_transactions")}
    assert [m for m in memos if not MEMO.fullmatch(m)] == []
    async with service.pool.acquire() as connection:
        overall = await connection.fetch(
            "SELECT currency, sum(amount) FILTER (WHERE direction = 'debit') AS debits,"
            " sum(amount) FILTER (WHERE direction = 'credit') AS credits"
            " FROM ledger_entries GROUP BY currency"
        )
        unbalanced = await connection.fetch(
            "SELECT transaction_id, currency FROM ledger_entries GROUP BY transaction_id, currency"
            " HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0"
        )
    assert all(r["debits"] == r["credits"] for r in overall), [dict(r) for r in overall]
    assert unbalanced == []
    async with service.pool.acquire() as connection:
        assert await commitments_not_owed(connection) == []
