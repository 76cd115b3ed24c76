"""The three services in one test process, each in a schema of its own and all under one topic
prefix, on the real broker and database — what a case's personal data touches end to end.

`system.populated_case()` takes a fresh case through everything that copies or writes about it:
registration with a name, date of birth and passport; an assessment with vulnerabilities, urgency
and free-text skills and training wanted; referrals to partners (one answers with the returnee's
name in its words); a plan with a note; a grant paid to a supplier typed with the person's name;
closure with a note.
"""

from __future__ import annotations

import secrets
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
from services.intake.core.monitoring import MONITORING_FILE, load_survey
from services.referral.app import create_app as referral_app
from shared.events import new_envelope
from shared.events.referral import ReferralAccepted, ReferralCompleted
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics
from tests.conftest import new_isolation, release_isolation
from tests.support import TEST_PASSWORD, add_person, eventually, publish, sign_in

SERVICES = ("intake", "referral", "grants")
ROLES = (
    Role.CASEWORKER,
    Role.SUPERVISOR,
    Role.FINANCE,
    Role.AUDITOR,
    Role.ADMIN,
    Role.DPO,
    Role.MANAGER,
    Role.SENDING_MISSION,
    Role.PARTNER,
)
# the partner a partner user of these tests acts for: one of the demo directory
PARTNER = "vardar-housing-cooperative"


@dataclass(frozen=True)
class Person:
    """What identifies the returnee: none of it may outlive the erasure, anywhere."""

    first_name: str
    surname: str
    date_of_birth: str
    document: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.surname}"

    def traces(self) -> list[str]:
        return [self.first_name, self.surname, self.date_of_birth, self.document]


@dataclass
class Populated:
    case_id: UUID
    person: Person
    partners: dict[str, str]  # category -> partner id
    grant_id: str
    installment_ids: list[str]


@dataclass
class System:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    settings: dict[str, Settings]
    topics: Topics
    tokens: dict[Role, str] = field(default_factory=dict)
    finance_b: str = ""

    def schema(self, service: str) -> str:
        return self.settings[service].schema_for(service)

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def page(self, role: Role) -> dict[str, str]:
        """The session cookie of `role`'s user, signed in on intake's page with their password."""
        return await sign_in(self.clients["intake"], f"{role.value}-1", TEST_PASSWORD)

    async def call(self, service: str, method: str, path: str, role: Role, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(role), **kwargs.pop("headers", {})}
        return await self.clients[service].request(method, path, headers=headers, **kwargs)

    async def ok(self, service: str, method: str, path: str, role: Role, **kwargs: Any) -> Any:
        response = await self.call(service, method, path, role, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    async def populated_case(self, *, close: bool = True) -> Populated:
        tag = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
        person = Person(
            first_name=f"Zorica{tag}",
            surname=f"Erasmova{tag}",
            date_of_birth="1987-03-19",
            document=f"P{secrets.randbelow(10**8):08d}",
        )
        today = datetime.now(UTC).date()
        registration = {
            "members": [
                {
                    "name": person.name,
                    "date_of_birth": person.date_of_birth,
                    "sex": "female",
                    "relationship": "principal",
                    "identity_document": {"type": "passport", "number": person.document},
                }
            ],
            "programme_id": "DE-STARTHILFEPLUS",
            "country_of_return": "MK",
            "municipality": "skopje",
            "sending_country": "DE",
            "arrival_date": (today - timedelta(days=3)).isoformat(),
            "vulnerabilities": ["victim_of_trafficking", "medical_condition"],
            "needs": ["housing", "medical"],
            "consent": {"housing": True, "medical": True},
        }
        case = await self.ok("intake", "POST", "/v1/cases", Role.CASEWORKER, json=registration)
        case_id = UUID(case["id"])
        await self.ok(
            "intake",
            "POST",
            f"/v1/cases/{case_id}/assessment",
            Role.CASEWORKER,
            json={
                # vocational training without consent to share: held in intake, not referred
                "needs": ["housing", "medical", "vocational_training"],
                "vulnerabilities": ["victim_of_trafficking", "medical_condition"],
                "skills": [f"tailoring with {person.first_name}'s aunt"],
                "training_wanted": [f"dressmaking, as {person.first_name}'s aunt taught"],
                "urgency": "urgent",
                "urgency_reason": "safety_risk",
            },
        )
        partners = await self._referred(case_id)
        await self._partner_completes(case_id, person)
        await self.ok(
            "intake",
            "POST",
            f"/v1/cases/{case_id}/plan",
            Role.CASEWORKER,
            json={
                "assistance": [
                    {"assistance_type": "housing", "requested": {"amount": 80_000, "currency": "EUR"}}
                ],
                "note": f"{person.name} needs a ground-floor flat",
            },
        )
        await self.ok("intake", "POST", f"/v1/cases/{case_id}/plan/approve", Role.SUPERVISOR, json={})
        grant_id, installment_ids = await self._paid(case_id, person)
        # a monitoring visit: personal data of the case too (codes and scores, no words)
        survey = load_survey(Settings().config_dir / MONITORING_FILE)
        await self.ok(
            "intake",
            "POST",
            f"/v1/cases/{case_id}/monitoring-visits",
            Role.CASEWORKER,
            json={
                "visited_on": (today - timedelta(days=1)).isoformat(),
                "answers": {i.code: list(i.answers)[-1] for i in survey.indicators},
                "in_municipality": True,
                "re_migrated": False,
            },
        )
        if close:
            await self.ok(
                "intake",
                "POST",
                f"/v1/cases/{case_id}/close",
                Role.CASEWORKER,
                json={"reason": "reintegrated", "note": f"{person.first_name} moved to her sister's"},
            )
        return Populated(case_id, person, partners, grant_id, installment_ids)

    async def _referred(self, case_id: UUID) -> dict[str, str]:
        async def issued() -> dict[str, str]:
            found = await self.ok(
                "referral", "GET", "/v1/referrals", Role.CASEWORKER, params={"case_id": str(case_id)}
            )
            live = {r["category"]: r["partner_id"] for r in found["referrals"] if r["status"] == "issued"}
            return live if len(live) == 2 else {}

        return await eventually(issued, what=f"the referrals of case {case_id}")

    async def _partner_completes(self, case_id: UUID, person: Person) -> None:
        """The housing partner accepts and completes, in its own words naming the returnee."""
        found = await self.ok(
            "referral", "GET", "/v1/referrals", Role.CASEWORKER, params={"case_id": str(case_id)}
        )
        housing = next(r for r in found["referrals"] if r["category"] == "housing")
        ids = {
            "referral_id": housing["referral_id"],
            "case_id": str(case_id),
            "partner_id": housing["partner_id"],
        }
        for event in (
            ReferralAccepted(**ids),
            ReferralCompleted(**ids, outcome=f"{person.name} moved into flat 4"),
        ):
            envelope = new_envelope(event, key=case_id, producer=housing["partner_id"])
            await publish(  # on the partner's own answer topic, as partners answer now
                self.settings["referral"].kafka_bootstrap_servers,
                self.topics.partner_responses(housing["partner_id"]).name,
                [envelope.to_bytes()],
                key=str(case_id).encode(),
            )

        async def completed() -> bool:
            found = await self.ok(
                "referral", "GET", "/v1/referrals", Role.CASEWORKER, params={"case_id": str(case_id)}
            )
            return any(r["status"] == "completed" for r in found["referrals"])

        await eventually(completed, what="the housing referral to be completed")

    async def _paid(self, case_id: UUID, person: Person) -> tuple[str, list[str]]:
        """The grant opens; its first installment is paid to a supplier typed with the person's name."""

        async def opened() -> list[Any]:
            grants = await self.ok(
                "grants", "GET", "/v1/grants", Role.FINANCE, params={"case_id": str(case_id)}
            )
            return [g for g in grants if g["status"] == "open"]

        [grant] = await eventually(opened, what=f"the grant of case {case_id}")
        detail = await self.ok("grants", "GET", f"/v1/grants/{grant['id']}", Role.FINANCE)
        first = next(i for i in detail["installments"] if i["status"] == "due")
        await self.ok("grants", "POST", f"/v1/installments/{first['id']}/approve", Role.FINANCE)
        payment = {
            "method": "supplier_invoice",
            "payment_reference": "SEPA-4711",
            "supplier": f"{person.surname} family landlord",
            "invoice_number": "INV-2025-77",
        }
        response = await self.clients["grants"].post(
            f"/v1/installments/{first['id']}/disburse",
            headers={"Authorization": f"Bearer {self.finance_b}"},
            json=payment,
        )
        assert response.status_code == 200, response.text
        return grant["id"], [i["id"] for i in detail["installments"]]


@pytest.fixture(scope="module")
async def system(kafka_bootstrap: str, database_url: str) -> AsyncIterator[System]:
    isolation = new_isolation(kafka_bootstrap, database_url)
    settings = {service: isolation.with_schema(service) for service in SERVICES}
    apps = {
        "intake": intake_app(settings["intake"]),
        "referral": referral_app(settings["referral"], sweep_interval_s=3600),
        "grants": grants_app(settings["grants"], due_check_interval_s=3600),
    }
    try:
        async with (
            apps["intake"].router.lifespan_context(apps["intake"]),
            apps["referral"].router.lifespan_context(apps["referral"]),
            apps["grants"].router.lifespan_context(apps["grants"]),
        ):
            clients = {
                name: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test"
                )
                for name, app in apps.items()
            }
            system = System(apps, clients, settings, Topics(isolation.topic_prefix))
            identity = apps["intake"].state.identity
            # every programme for each (an admin sees them all by role), and the tests' password
            for role in ROLES:
                scope = {"partner_id": PARTNER} if role is Role.PARTNER else {}
                _, system.tokens[role] = await add_person(identity, f"{role.value}-1", role, **scope)
            _, system.finance_b = await add_person(identity, "finance-2", Role.FINANCE)
            funding = {"amount": {"amount": 10_000_000, "currency": "EUR"}, "reference": "BMI-2025-1"}
            await system.ok(
                "grants",
                "POST",
                "/v1/programmes/DE-STARTHILFEPLUS/funding",
                Role.FINANCE,
                json=funding,
                headers={"Idempotency-Key": "fund-1"},
            )
            try:
                yield system
            finally:
                for client in clients.values():
                    await client.aclose()
    finally:
        await release_isolation(isolation)
