"""One referral service per test module, on the real broker and database, in a corner of its own.

The `isolated` fixture is per test; starting the service (migrations, ~20 topics, consumer groups)
once per module keeps the suite fast, so this builds the module-scoped equivalent. Tests in a module
share the service and tell their data apart by case id.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.referral.app import create_app, service_topics
from shared.events import Envelope
from shared.identity.model import Role
from shared.settings import Settings
from shared.topics import Topics, TopicSpec
from tests.conftest import new_isolation, release_isolation
from tests.support import every_programme

from .recorder import TopicRecorder

# A small directory whose answers the tests can predict: one partner per category in Kumanovo
# (plus a trafficking shelter), two housing partners in Skopje for re-routing, a one-hour deadline
# in Štip for escalation, two employment partners in Ohrid for the example partner, a one-place
# housing partner each in Veles and Prilep (a referral left unplaced, then a place freed), two
# quick-deadline housing partners in Tetovo (an escalated referral re-routed); a reception
# team at Skopje airport and a transport from there to Kumanovo (housing is issued on announcement).
TEST_PARTNERS = """\
issued_on_announcement: [housing]
partners:
  - {id: skopje-gate, name: Skopje Gate, arrival_points: [SKP],
     categories: {airport_reception: {capacity: 50, deadline_hours: 240, answer_before_arrival_hours: 24}}}
  - {id: kumanovo-van, name: Kumanovo Van, arrival_points: [SKP], municipalities: [kumanovo],
     categories: {transport: {capacity: 50, deadline_hours: 240, answer_before_arrival_hours: 12}}}
  - {id: kumanovo-homes, name: Kumanovo Homes, municipalities: [kumanovo],
     categories: {housing: {capacity: 50, deadline_hours: 72}}}
  - {id: kumanovo-shelter, name: Kumanovo Shelter, municipalities: [kumanovo],
     categories: {housing: {capacity: 5, deadline_hours: 24}},
     eligibility: {requires_any_of: [victim_of_trafficking]}}
  - {id: kumanovo-classes, name: Kumanovo Classes, municipalities: [kumanovo],
     categories: {education: {capacity: 50, deadline_hours: 96}}, eligibility: {age_group: minors}}
  - {id: kumanovo-jobs, name: Kumanovo Jobs, municipalities: [kumanovo],
     categories: {employment: {capacity: 50, deadline_hours: 120}}, eligibility: {age_group: adults}}
  - {id: kumanovo-care, name: Kumanovo Care, municipalities: [kumanovo],
     categories: {medical: {capacity: 50, deadline_hours: 48},
                  counselling: {capacity: 50, deadline_hours: 48}}}
  - {id: skopje-homes-a, name: Skopje Homes A, municipalities: [skopje],
     categories: {housing: {capacity: 50, deadline_hours: 48}}}
  - {id: skopje-homes-b, name: Skopje Homes B, municipalities: [skopje],
     categories: {housing: {capacity: 50, deadline_hours: 48}}}
  - {id: bitola-homes, name: Bitola Homes, municipalities: [bitola],
     categories: {housing: {capacity: 50, deadline_hours: 48}}}
  - {id: stip-quick-homes, name: Stip Quick Homes, municipalities: [stip],
     categories: {housing: {capacity: 50, deadline_hours: 1}}}
  - {id: ohrid-jobs-a, name: Ohrid Jobs A, municipalities: [ohrid],
     categories: {employment: {capacity: 50, deadline_hours: 120}}}
  - {id: ohrid-jobs-b, name: Ohrid Jobs B, municipalities: [ohrid],
     categories: {employment: {capacity: 50, deadline_hours: 120}}}
  - {id: veles-homes, name: Veles Homes, municipalities: [veles],
     categories: {housing: {capacity: 1, deadline_hours: 48}}}
  - {id: prilep-homes, name: Prilep Homes, municipalities: [prilep],
     categories: {housing: {capacity: 1, deadline_hours: 48}}}
  - {id: tetovo-homes-a, name: Tetovo Homes A, municipalities: [tetovo],
     categories: {housing: {capacity: 50, deadline_hours: 1}}}
  - {id: tetovo-homes-b, name: Tetovo Homes B, municipalities: [tetovo],
     categories: {housing: {capacity: 50, deadline_hours: 1}}}
"""


@dataclass
class RunningReferral:
    app: FastAPI
    settings: Settings
    topics: Topics
    client: httpx.AsyncClient  # authenticated as a caseworker
    recorder: TopicRecorder
    producer: AIOKafkaProducer
    tokens: dict[Role, str]

    async def send(self, topic: TopicSpec, envelope: Envelope) -> None:
        """Publish the way a well-behaved producer does: keyed by case, with the envelope headers."""
        await self.send_raw(topic, envelope.to_bytes(), envelope.key, envelope.kafka_headers())

    async def answer_as(self, partner_id: str, envelope: Envelope) -> None:
        """Publish `envelope` on `partner_id`'s own answer topic, as that partner's login would."""
        await self.send(self.topics.partner_responses(partner_id), envelope)

    async def reply(self, envelope: Envelope) -> None:
        """A partner's answer on the answering partner's own topic (the one its data names)."""
        await self.answer_as(envelope.data["partner_id"], envelope)

    async def send_raw(
        self, topic: TopicSpec, value: bytes, key: str, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        await self.producer.send_and_wait(topic.name, value, key=key.encode(), headers=headers)

    async def inbox_has(self, event_id: uuid.UUID) -> bool:
        pool = self.app.state.pool
        return bool(await pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id))


@pytest.fixture(scope="module")
async def referral(
    kafka_bootstrap: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningReferral]:
    config = tmp_path_factory.mktemp("referral-config")
    (config / "partners.yaml").write_text(TEST_PARTNERS, encoding="utf-8")
    default_config: Path = Settings.model_fields["config_dir"].default
    shutil.copy(default_config / "municipalities.yaml", config / "municipalities.yaml")
    shutil.copy(default_config / "arrival-points.yaml", config / "arrival-points.yaml")
    isolation = new_isolation(kafka_bootstrap, database_url, config_dir=config)
    settings, prefix, token = isolation.settings, isolation.topic_prefix, isolation.schema
    app = create_app(settings, sweep_interval_s=3600)  # tests run the sweep themselves
    topics = Topics(prefix)
    try:
        async with app.router.lifespan_context(app):
            tokens = {}
            for role in (Role.CASEWORKER, Role.FINANCE, Role.ADMIN, Role.DPO):
                # an admin sees every programme without naming any; everyone else is given them all
                programmes = () if role is Role.ADMIN else every_programme()
                _, tokens[role] = await app.state.identity.add_user(
                    f"{role.value}-{token}", role, programmes=programmes
                )
            recorder = TopicRecorder(kafka_bootstrap, prefix)
            await recorder.start([t.name for t in service_topics(topics, app.state.directory)])
            producer = AIOKafkaProducer(
                bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
            )
            await producer.start()
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://referral.test",
                headers={"Authorization": f"Bearer {tokens[Role.CASEWORKER]}"},
            )
            try:
                yield RunningReferral(app, settings, topics, client, recorder, producer, tokens)
            finally:
                await client.aclose()
                await producer.stop()
                await recorder.stop()
    finally:
        await release_isolation(isolation)
