"""What the fault tests send, acting as intake and as partners: case assessments, plan approvals,
partners' answers, and poison. Seeded, so a failing run can be repeated; each case knows what it
must end up with (its expected referrals), computed by referral's own pure routing."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer

from services.referral.core.directory import Directory, load_directory, load_municipalities
from services.referral.core.routing import place
from shared.events import Envelope, new_envelope
from shared.events.codes import (
    ARRIVAL_CATEGORIES,
    AssistanceType,
    Category,
    ReferralStatus,
    Relationship,
    Sex,
    Vulnerability,
)
from shared.events.intake import HouseholdMember, NeedsAssessed, PlannedAssistance, ReintegrationPlanApproved
from shared.events.referral import ReferralAccepted, ReferralIssued
from shared.money import Money
from shared.settings import Settings

# every municipality the data file knows: the places referral's own directory is checked against
MUNICIPALITIES = list(load_municipalities(Settings().config_dir / "municipalities.yaml"))
PROGRAMME = "DE-STARTHILFEPLUS"


def directory_in(config_dir: Path) -> Directory:
    return load_directory(
        config_dir / "partners.yaml", load_municipalities(config_dir / "municipalities.yaml")
    )


@dataclass(frozen=True)
class Assessment:
    """One case's NeedsAssessed, and what routing must make of it: a status per needed category."""

    envelope: Envelope
    expected: dict[Category, ReferralStatus]

    @property
    def case_id(self) -> UUID:
        return UUID(self.envelope.key)


class Caseload:
    """Deterministic cases for one test."""

    def __init__(self, directory: Directory, seed: int) -> None:
        self.directory = directory
        self.random = random.Random(seed)

    def household(self) -> list[HouseholdMember]:
        r = self.random
        head = HouseholdMember(
            age=r.randint(18, 70), sex=r.choice([Sex.FEMALE, Sex.MALE]), relationship=Relationship.PRINCIPAL
        )
        children = [
            HouseholdMember(
                age=r.randint(0, 17), sex=r.choice([Sex.FEMALE, Sex.MALE]), relationship=Relationship.CHILD
            )
            for _ in range(r.choice([0, 0, 1, 2, 3]))
        ]
        return [head, *children]

    def assessment(self) -> Assessment:
        r = self.random
        # walk-ins, assessed after arrival: nothing to meet or drive any more
        needs = r.sample([c for c in Category if c not in ARRIVAL_CATEGORIES], r.randint(1, 3))
        facts = NeedsAssessed(
            case_id=uuid4(),
            programme_id=PROGRAMME,
            municipality=r.choice(MUNICIPALITIES),
            household=self.household(),
            vulnerabilities=r.sample(list(Vulnerability), r.choice([0, 0, 0, 1, 2])),
            needs=needs,
            # most returnees consent; some refuse one category, which must then wait for consent
            consent={c: r.random() < 0.9 for c in needs},
            assessed_by="caseworker-faults",
        )
        now = datetime.now(UTC)
        expected = {c: place(facts, c, self.directory, {}, now).status for c in needs}
        return Assessment(new_envelope(facts, key=facts.case_id, producer="intake"), expected)

    def assessments(self, count: int) -> list[Assessment]:
        return [self.assessment() for _ in range(count)]

    def plan(self, case_id: UUID | None = None, amount: int = 60_000) -> Envelope:
        """A plan approval for a single adult arriving today: its first half falls due at once."""
        case_id = case_id or uuid4()
        approved = ReintegrationPlanApproved(
            case_id=case_id,
            plan_id=uuid4(),
            programme_id=PROGRAMME,
            arrival_date=date.today(),
            household=[
                HouseholdMember(
                    age=self.random.randint(18, 60), sex=Sex.MALE, relationship=Relationship.PRINCIPAL
                )
            ],
            adults=1,
            children=0,
            assistance=[
                PlannedAssistance(
                    assistance_type=AssistanceType.CASH, requested=Money(amount=amount, currency="EUR")
                )
            ],
            approved_by="supervisor-faults",
        )
        return new_envelope(approved, key=case_id, producer="intake")


def accepted(issued: Envelope) -> Envelope:
    """The partner's answer to a ReferralIssued: accepted."""
    event = issued.event_as(ReferralIssued)
    answer = ReferralAccepted(
        referral_id=event.referral_id, case_id=event.case_id, partner_id=event.partner_id
    )
    return new_envelope(answer, key=event.case_id, producer=event.partner_id, causation=issued)


class Producer:
    """The test's own idempotent producer: sends without waiting, so it buffers through an outage."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=60_000,
        )

    async def __aenter__(self) -> Producer:
        await self.producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.producer.stop()

    async def send(self, topic: str, envelopes: list[Envelope]) -> list[asyncio.Future[Any]]:
        """Queue every envelope (keyed by case id); returns the delivery futures."""
        return [
            await self.producer.send(topic, e.to_bytes(), key=e.key.encode(), headers=e.kafka_headers())
            for e in envelopes
        ]

    async def send_raw(
        self, topic: str, values: list[bytes], key: bytes = b"poison"
    ) -> list[asyncio.Future[Any]]:
        return [await self.producer.send(topic, v, key=key) for v in values]
