"""Partners read only their own referrals: ACLs from `homeward kafka acl sync`, enforced by a real
broker in the launcher's secured mode (SCRAM-SHA-512 logins, StandardAuthorizer, deny by default).

The other half of "a partner answers only for its own referrals" is referral's: a response about a
referral sent to another partner is dead-lettered with the reason (WrongPartner) — proven in
tests/integration/referral/test_dead_letters.py::test_impossible_moves_are_dead_lettered_with_the_reason_and_change_nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from deploy.kafka.access import AclBinding, partner_acls
from deploy.kafka.admin import AccessAdmin
from homeward.cli import main as homeward
from services.referral.app import create_app
from shared.events import Category, Envelope
from shared.kafka.producer import create_producer
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.integration.referral.events import answer, needs_assessed
from tests.integration.referral.recorder import Seen
from tests.support import eventually, headers_of, read_topic

from .kafka_fixtures import PARTNERS, SecuredKafka, broker_answers
from .kafka_fixtures import secured_kafka as secured_kafka  # a module fixture, started once here

pytestmark = pytest.mark.integration

TOPIC_AUTHORIZATION_FAILED = TopicAuthorizationFailedError.errno


@pytest.fixture(scope="module")
async def synced(secured_kafka: SecuredKafka) -> SecuredKafka:
    report = await secured_kafka.sync(PARTNERS)
    assert report.users_created == sorted(
        ["grants", "intake", "referral", *(f"partner-{p}" for p in PARTNERS)]
    )
    return secured_kafka


async def publish(kafka: SecuredKafka, user: str, topic: str, value: bytes, key: str = "case-1") -> None:
    producer = kafka.producer(user)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def first_record(consumer: AIOKafkaConsumer, timeout: float = 15.0) -> bytes:
    try:
        await consumer.start()
        record = await asyncio.wait_for(consumer.getone(), timeout)
        assert record.value is not None
        return bytes(record.value)
    finally:
        await consumer.stop()


async def test_a_partner_reads_its_own_referrals_and_answers_on_the_responses_topic(
    synced: SecuredKafka,
) -> None:
    topics = synced.topics
    await publish(synced, "referral", topics.partner("alpha").name, b"referral for alpha")
    got = await first_record(
        synced.consumer("partner-alpha", topics.partner("alpha").name, group="partner.alpha.intake-desk")
    )
    assert got == b"referral for alpha"

    await publish(synced, "partner-alpha", topics.referral_responses.name, b"accepted by alpha")
    answer = await first_record(
        synced.consumer("referral", topics.referral_responses.name, group="referral.responses")
    )
    assert answer == b"accepted by alpha"


async def test_a_partner_cannot_read_another_partners_topic(synced: SecuredKafka) -> None:
    topics = synced.topics
    await publish(synced, "referral", topics.partner("beta").name, b"referral for beta")
    # alpha-shelter's id starts like alpha's: the trailing dot in `referrals.alpha.` keeps them apart
    for partner, other in [("alpha", "beta"), ("alpha", "alpha-shelter"), ("alpha-shelter", "alpha")]:
        assert await broker_answers(synced, f"partner-{partner}", topics.partner(other).name) == (
            TOPIC_AUTHORIZATION_FAILED,  # metadata: the topic's existence and layout are hidden
            TOPIC_AUTHORIZATION_FAILED,  # a fetch of a partition named outright is refused too
        )
    assert await broker_answers(synced, "partner-beta", topics.partner("beta").name) == (0, 0)


async def test_a_partner_cannot_join_another_partners_consumer_group(synced: SecuredKafka) -> None:
    own_topic = synced.topics.partner("alpha").name
    await publish(synced, "referral", own_topic, b"referral for alpha")
    with pytest.raises(GroupAuthorizationFailedError):
        await first_record(synced.consumer("partner-alpha", own_topic, group="partner.beta.intake-desk"))
    with pytest.raises(GroupAuthorizationFailedError):  # nor a service's
        await first_record(synced.consumer("partner-alpha", own_topic, group="referral.responses"))


async def test_a_partner_cannot_write_intakes_topic_nor_its_own_referrals(synced: SecuredKafka) -> None:
    topics = synced.topics
    for topic in (topics.returnees.name, topics.partner("alpha").name, topics.partner("beta").name):
        with pytest.raises(TopicAuthorizationFailedError):
            await publish(synced, "partner-alpha", topic, b'{"type": "NeedsAssessed"}')


async def test_a_partner_cannot_read_intakes_nor_the_other_partners_answers(synced: SecuredKafka) -> None:
    topics = synced.topics
    denied = (TOPIC_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED)
    for topic in (topics.returnees, topics.referral_status, topics.grants_installments):
        assert await broker_answers(synced, "partner-beta", topic.name) == denied, topic.name
    # it may see that the responses topic exists (it writes there) but not read other answers
    assert await broker_answers(synced, "partner-beta", topics.referral_responses.name) == (
        0,
        TOPIC_AUTHORIZATION_FAILED,
    )


async def test_a_wrong_password_or_no_login_gets_nothing(synced: SecuredKafka) -> None:
    producer = synced.producer("partner-alpha", password="not-the-password")
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 15)
    await producer.stop()
    anonymous = AIOKafkaProducer(bootstrap_servers=synced.broker.sasl_bootstrap, request_timeout_ms=3000)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(anonymous.start(), 15)
    await anonymous.stop()


async def test_the_sync_is_idempotent_removes_extras_and_revokes_a_removed_partner(
    synced: SecuredKafka,
) -> None:
    stray = AclBinding("User:partner-alpha", "topic", "intake.", "prefixed", "Read")
    async with AccessAdmin(synced.admin_bootstrap) as admin:
        await admin.create_acls([stray])
    again = await synced.sync(PARTNERS)
    assert (again.acls_created, again.acls_deleted, again.users_created) == ([], [stray], [])
    assert not (await synced.sync(PARTNERS)).changed

    # beta leaves partners.yaml: its login and its ACLs go
    without_beta = await synced.sync([p for p in PARTNERS if p != "beta"])
    assert without_beta.users_deleted == ["partner-beta"]
    assert set(without_beta.acls_deleted) == partner_acls("beta", synced.topics)
    producer = synced.producer("partner-beta")
    with pytest.raises((KafkaError, KafkaConnectionError)):
        await asyncio.wait_for(producer.start(), 15)
    await producer.stop()
    await synced.sync(PARTNERS)  # back, with a new password, for the other tests


async def referral_issued(consumer: AIOKafkaConsumer, case_id: object, timeout: float = 30.0) -> bytes:
    """The ReferralIssued for `case_id` (earlier tests left other records on the topic)."""
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                if record.key == str(case_id).encode() and b'"ReferralIssued"' in (record.value or b""):
                    return bytes(record.value or b"")
    finally:
        await consumer.stop()
    raise AssertionError("no ReferralIssued")


PARTNER_DIRECTORY = """\
partners:
  - {id: alpha, name: Alpha Homes, municipalities: [skopje],
     categories: {housing: {capacity: 10, deadline_hours: 72}}}
  - {id: alpha-shelter, name: Alpha Shelter, municipalities: [kumanovo],
     categories: {housing: {capacity: 10, deadline_hours: 72}}}
  - {id: beta, name: Beta Homes, municipalities: [bitola],
     categories: {housing: {capacity: 10, deadline_hours: 72}}}
"""


async def test_referral_runs_under_its_own_login_and_refuses_an_answer_from_the_wrong_partner(
    synced: SecuredKafka, kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    """The service ACLs are enough for the service (no Create: the sync made the topics), and a
    partner that learned another's referral id still cannot answer for it."""
    for name in ("municipalities.yaml", "donor-policies.yaml"):
        shutil.copy(Settings().config_dir / name, tmp_path / name)
    (tmp_path / "partners.yaml").write_text(PARTNER_DIRECTORY)
    isolation = new_isolation(kafka_bootstrap, database_url)
    login = synced.settings("referral")
    settings = isolation.settings.model_copy(
        update={
            "config_dir": tmp_path,
            "topic_prefix": "",  # a broker of its own: the real names, the real ACLs
            **{k: getattr(login, k) for k in type(login).model_fields if k.startswith("kafka_")},
        }
    )
    app = create_app(settings)
    topics = synced.topics
    try:
        async with app.router.lifespan_context(app):
            event = needs_assessed(municipality="skopje", needs=[Category.HOUSING])
            intake = create_producer(synced.settings("intake"), "intake-test")
            await intake.start()
            try:
                await intake.send_and_wait(
                    topics.returnees.name, event.to_bytes(), key=str(event.key).encode(),
                    headers=event.kafka_headers(),
                )  # fmt: skip
            finally:
                await intake.stop()
            consumer = synced.consumer(
                "partner-alpha", topics.partner("alpha").name, group="partner.alpha.desk"
            )
            raw = await referral_issued(consumer, event.key)
            issued = Envelope.model_validate_json(raw)

            # beta answers for alpha's referral (naming itself), then alpha answers its own
            seen = Seen(topics.partner("alpha").name, str(issued.key), raw, {}, 0)
            for partner, partner_id in (("partner-beta", "beta"), ("partner-alpha", None)):
                envelope = answer(seen, "accept", partner_id=partner_id)
                await publish(
                    synced, partner, topics.referral_responses.name, envelope.to_bytes(), str(event.key)
                )

            async def dead_lettered() -> list[Any]:  # earlier tests' records are on the DLQ too
                records = await read_topic(synced.admin_bootstrap, topics.referral_responses.dlq.name)
                return [r for r in records if r.key == str(event.key).encode()]

            [dead] = await eventually(dead_lettered, what="beta's answer on the dead-letter topic")
            headers = headers_of(dead)
            assert headers["x-dlq-error-type"] == "WrongPartner"
            assert "was not sent to partner 'beta'" in headers["x-dlq-error"]

            async def accepted() -> bool:
                records = await read_topic(synced.admin_bootstrap, topics.referral_status.name)
                return any(b'"accepted"' in (r.value or b"") for r in records)

            await eventually(accepted, what="alpha's acceptance on referral.status.v1")
    finally:
        await release_isolation(isolation)


async def test_the_command_reads_partners_yaml_and_a_dry_run_changes_nothing(
    synced: SecuredKafka, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", synced.admin_bootstrap)
    capsys.readouterr()
    code = await asyncio.to_thread(homeward, ["kafka", "acl", "sync", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "would create login partner-vardar-housing-cooperative" in out  # from deploy/config
    assert "would delete login partner-beta" in out
    assert "password" not in out
    assert not (await synced.sync(PARTNERS)).changed  # the dry run changed nothing
