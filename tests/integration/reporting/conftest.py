"""The four services in one test process, each in a schema of its own under one topic prefix, on the
real broker and database: intake, referral and grants make the events, reporting builds its read
model from them.

`System.populate()` takes a caseload through everything a donor report counts: households of
different shapes registered (with needs, so referrals are issued), partners accepting and completing
some referrals on their own topics, plans approved (grants open), installments paid with four eyes,
one payment returned, and cases closed (their unspent grants released).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from services.grants.app import create_app as grants_app
from services.intake.app import create_app as intake_app
from services.intake.core.catalogue import load_catalogue
from services.referral.app import create_app as referral_app
from services.reporting.app import create_app as reporting_app
from services.reporting.use_cases.context import ReportingContext
from shared.events import new_envelope
from shared.events.referral import ReferralAccepted, ReferralCompleted
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics
from tests.conftest import new_isolation, release_isolation
from tests.support import add_person, eventually, publish

SERVICES = ("intake", "referral", "grants", "reporting")
PROGRAMME = "DE-STARTHILFEPLUS"
OTHER_PROGRAMME = "NL-AVRR"


def member(name: str, born: str, sex: str, relationship: str) -> dict[str, Any]:
    return {"name": name, "date_of_birth": born, "sex": sex, "relationship": relationship}


# (household, vulnerabilities, partner completes the housing referral, returned payment, closed)
CASELOAD: list[tuple[list[dict[str, Any]], list[str], bool, bool, str | None]] = [
    ([member("Arben Kola", "1990-02-01", "male", "principal")], [], True, False, None),
    ([member("Besnik Hoxha", "1985-05-11", "male", "principal")], [], True, False, "reintegrated"),
    ([member("Dritan Berisha", "1979-07-21", "male", "principal")], [], True, False, None),
    ([member("Gent Shala", "1992-09-30", "male", "principal")], ["medical_condition"], True, True, None),
    ([member("Ilir Gashi", "1988-12-03", "male", "principal")], [], False, False, "re_migrated"),
    (
        [
            member("Mira Krasniqi", "1991-04-14", "female", "principal"),
            member("Lena Krasniqi", "2016-06-01", "female", "child"),
            member("Ardi Krasniqi", "2019-03-08", "male", "child"),
        ],
        ["single_parent"],
        False,
        False,
        None,
    ),
]


@dataclass
class System:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    settings: dict[str, Settings]
    topics: Topics
    tokens: dict[str, str] = field(default_factory=dict)
    cases: list[UUID] = field(default_factory=list)

    def schema(self, service: str) -> str:
        return self.settings[service].schema_for(service)

    @property
    def reporting(self) -> ReportingContext:
        context: ReportingContext = self.apps["reporting"].state.reporting
        return context

    async def call(self, service: str, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        return await self.clients[service].request(method, path, headers=headers, **kwargs)

    async def ok(self, service: str, method: str, path: str, who: str, **kwargs: Any) -> Any:
        response = await self.call(service, method, path, who, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    async def populate(self) -> None:
        today = datetime.now(UTC).date()
        for index, (household, vulnerabilities, completes, returned, closure) in enumerate(CASELOAD):
            registration = {
                "members": household,
                "programme_id": PROGRAMME,
                "country_of_return": "MK",
                "municipality": "skopje",
                "sending_country": "DE",
                "arrival_date": (today - timedelta(days=2)).isoformat(),
                "vulnerabilities": vulnerabilities,
                "needs": ["housing"],
                "consent": {"housing": True},
            }
            case = await self.ok("intake", "POST", "/v1/cases", "caseworker", json=registration)
            case_id = UUID(case["id"])
            self.cases.append(case_id)
            if completes:
                await self._partner_completes(case_id)
            await self.ok(
                "intake",
                "POST",
                f"/v1/cases/{case_id}/plan",
                "caseworker",
                json={
                    "assistance": [
                        {"assistance_type": "housing", "requested": {"amount": 60_000, "currency": "EUR"}}
                    ]
                },
            )
            await self.ok("intake", "POST", f"/v1/cases/{case_id}/plan/approve", "supervisor", json={})
            await self._paid(case_id, returned)
            if index == 0:
                await self._amended(case_id)
            if closure == "re_migrated":
                await self._found_re_migrated(case_id)
            if closure is not None:
                await self.ok(
                    "intake", "POST", f"/v1/cases/{case_id}/close", "caseworker", json={"reason": closure}
                )

    async def _found_re_migrated(self, case_id: UUID) -> None:
        """A monitoring visit finds the returnee gone: grants cancels the installment still waiting
        for its day (InstallmentCancelled) and releases its money, before the case is closed."""
        survey = load_catalogue(self.settings["intake"].config_dir).survey
        assert survey is not None
        visit = {
            "visited_on": datetime.now(UTC).date().isoformat(),
            "answers": {i.code: next(iter(i.answers)) for i in survey.indicators},
            "business_operating": None,
            "in_municipality": False,
            "re_migrated": True,
        }
        await self.ok("intake", "POST", f"/v1/cases/{case_id}/monitoring-visits", "caseworker", json=visit)

        async def cancelled() -> list[Any]:
            [grant] = await self.ok(
                "grants", "GET", "/v1/grants", "finance", params={"case_id": str(case_id)}
            )
            detail = await self.ok("grants", "GET", f"/v1/grants/{grant['id']}", "finance")
            return [i for i in detail["installments"] if i["status"] == "cancelled"]

        await eventually(cancelled, what=f"case {case_id}'s waiting installment cancelled")

    async def _referral(self, case_id: UUID, status: str) -> dict[str, Any]:
        async def found() -> dict[str, Any]:
            page = await self.ok(
                "referral", "GET", "/v1/referrals", "caseworker", params={"case_id": str(case_id)}
            )
            return next((r for r in page["referrals"] if r["status"] == status), {})

        return await eventually(found, what=f"a referral of case {case_id} {status}")

    async def _partner_completes(self, case_id: UUID) -> None:
        housing = await self._referral(case_id, "issued")
        ids = {
            "referral_id": housing["referral_id"],
            "case_id": str(case_id),
            "partner_id": housing["partner_id"],
        }
        for event in (ReferralAccepted(**ids), ReferralCompleted(**ids, outcome="moved in")):
            await publish(
                self.settings["referral"].kafka_bootstrap_servers,
                self.topics.partner_responses(housing["partner_id"]).name,
                [new_envelope(event, key=case_id, producer=housing["partner_id"]).to_bytes()],
                key=str(case_id).encode(),
            )
        await self._referral(case_id, "completed")

    async def _amended(self, case_id: UUID) -> None:
        """The first case's plan amended after its first half was paid (issue 15): housing 600.00 →
        900.00; grants cancels the waiting half (300.00 released) and schedules 150.00 and 450.00
        (600.00 committed), so the report's money must follow GrantAmended to equal the ledger."""
        amended = {
            "assistance": [{"assistance_type": "housing", "requested": {"amount": 90_000, "currency": "EUR"}}]
        }
        await self.ok("intake", "POST", f"/v1/cases/{case_id}/plan/amendment", "caseworker", json=amended)
        await self.ok("intake", "POST", f"/v1/cases/{case_id}/plan/amendment/approve", "supervisor", json={})

        async def adjusted() -> list[Any]:
            grants = await self.ok("grants", "GET", "/v1/grants", "finance", params={"case_id": str(case_id)})
            return [g for g in grants if g["total"]["amount"] == 90_000]

        await eventually(adjusted, what=f"the grant of case {case_id} amended")

    async def _paid(self, case_id: UUID, returned: bool) -> None:
        async def opened() -> list[Any]:
            grants = await self.ok("grants", "GET", "/v1/grants", "finance", params={"case_id": str(case_id)})
            return [g for g in grants if g["status"] == "open"]

        [grant] = await eventually(opened, what=f"the grant of case {case_id}")
        detail = await self.ok("grants", "GET", f"/v1/grants/{grant['id']}", "finance")
        first = next(i for i in detail["installments"] if i["status"] == "due")
        await self.ok("grants", "POST", f"/v1/installments/{first['id']}/approve", "finance")
        payment = {
            "method": "supplier_invoice",
            "payment_reference": "SEPA-4711",
            "supplier": "municipal housing",
            "invoice_number": "INV-2025-77",
        }
        await self.ok("grants", "POST", f"/v1/installments/{first['id']}/disburse", "finance-2", json=payment)
        if returned:
            await self.ok(
                "grants",
                "POST",
                f"/v1/installments/{first['id']}/fail",
                "finance",
                json={"reason": "returned_by_bank"},
            )


@pytest.fixture(scope="module")
async def system(kafka_bootstrap: str, database_url: str) -> AsyncIterator[System]:
    isolation = new_isolation(kafka_bootstrap, database_url)
    settings = {service: isolation.with_schema(service) for service in SERVICES}
    apps = {
        "intake": intake_app(settings["intake"]),
        "referral": referral_app(settings["referral"], sweep_interval_s=3600),
        "grants": grants_app(settings["grants"], due_check_interval_s=3600),
        "reporting": reporting_app(settings["reporting"]),
    }
    try:
        async with (
            apps["intake"].router.lifespan_context(apps["intake"]),
            apps["referral"].router.lifespan_context(apps["referral"]),
            apps["grants"].router.lifespan_context(apps["grants"]),
            apps["reporting"].router.lifespan_context(apps["reporting"]),
        ):
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test"
                )
                for name, app in apps.items()
            }
            system = System(apps, clients, settings, Topics(isolation.topic_prefix))
            identity = apps["intake"].state.identity
            people: dict[str, tuple[Role, tuple[str, ...] | None]] = {
                "caseworker": (Role.CASEWORKER, None),
                "supervisor": (Role.SUPERVISOR, None),
                "finance": (Role.FINANCE, None),
                "finance-2": (Role.FINANCE, None),
                "auditor": (Role.AUDITOR, None),
                "admin": (Role.ADMIN, None),
                "manager": (Role.MANAGER, (PROGRAMME,)),
                "manager-nl": (Role.MANAGER, (OTHER_PROGRAMME,)),
                "manager-none": (Role.MANAGER, ()),
            }
            for name, (role, programmes) in people.items():
                _, system.tokens[name] = await add_person(identity, name, role, programmes)
            funding = {"amount": {"amount": 10_000_000, "currency": "EUR"}, "reference": "BMI-2025-1"}
            await system.ok(
                "grants",
                "POST",
                f"/v1/programmes/{PROGRAMME}/funding",
                "finance",
                json=funding,
                headers={"Idempotency-Key": "fund-1"},
            )
            await system.populate()
            try:
                yield system
            finally:
                for client in clients.values():
                    await client.aclose()
    finally:
        await release_isolation(isolation)
