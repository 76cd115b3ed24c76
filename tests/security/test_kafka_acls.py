"""Partners read only their own referrals and answer only for their own: ACLs and quotas from
`homeward kafka acl sync`, enforced by a real broker in the launcher's secured mode (SCRAM-SHA-512
logins, StandardAuthorizer, deny by default), and referral running under its own login, taking the
partner from the answer's topic.
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

from deploy.kafka.access import PARTNER_QUOTA, AclBinding, Quota, partner_acls
from deploy.kafka.admin import AccessAdmin, loopback
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
        ["grants", "intake", "referral", "reporting", *(f"partner-{p}" for p in PARTNERS)]
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


async def test_a_partner_reads_its_own_referrals_and_answers_on_its_own_topic(
    synced: SecuredKafka,
) -> None:
    topics = synced.topics
    await publish(synced, "referral", topics.partner("alpha").name, b"referral for alpha")
    got = await first_record(
        synced.consumer("partner-alpha", topics.partner("alpha").name, group="partner.alpha.intake-desk")
    )
    assert got == b"referral for alpha"

    await publish(synced, "partner-alpha", topics.partner_responses("alpha").name, b"accepted by alpha")
    answer = await first_record(
        synced.consumer("referral", topics.partner_responses("alpha").name, group="referral.responses")
    )
    assert answer == b"accepted by alpha"
    # and, for the deprecation period, on the shared topic
    await publish(synced, "partner-alpha", topics.referral_responses.name, b"accepted the old way")
    old = await first_record(
        synced.consumer("referral", topics.referral_responses.name, group="referral.responses-old")
    )
    assert old == b"accepted the old way"


async def test_referral_writes_a_partners_answer_topic_for_the_partner_portal(synced: SecuredKafka) -> None:
    """The portal's answer travels on the partner's own topic, written by referral's login (its
    outbox relay); without the rule the relay would park it as not authorised."""
    topics = synced.topics
    await publish(
        synced, "referral", topics.partner_responses("alpha-shelter").name, b"accepted on the portal"
    )
    answer = await first_record(
        synced.consumer(
            "referral", topics.partner_responses("alpha-shelter").name, group="referral.portal-check"
        )
    )
    assert answer == b"accepted on the portal"


async def test_a_partner_cannot_write_another_partners_answer_topic_nor_a_dead_letter_topic(
    synced: SecuredKafka,
) -> None:
    topics = synced.topics
    # alpha-shelter's id starts like alpha's: the trailing dot in `referral.responses.alpha.` matters
    for partner, other in [("beta", "alpha"), ("alpha", "alpha-shelter"), ("alpha-shelter", "alpha")]:
        with pytest.raises(TopicAuthorizationFailedError):
            await publish(synced, f"partner-{partner}", topics.partner_responses(other).name, b"forged")
    # dead letters are replayed to their source by operators: no partner may plant one
    for dead_letters in (topics.partner_responses_dlq, topics.referral_responses.dlq):
        with pytest.raises(TopicAuthorizationFailedError):
            await publish(synced, "partner-beta", dead_letters.name, b"forged dead letter")


async def test_each_partner_login_is_held_to_the_partner_quota(synced: SecuredKafka) -> None:
    async with AccessAdmin(loopback(synced.admin_bootstrap)) as admin:
        quotas = await admin.quotas()
    assert {user: quotas.get(user) for user in (f"partner-{p}" for p in PARTNERS)} == {
        f"partner-{p}": PARTNER_QUOTA for p in PARTNERS
    }
    assert not {"intake", "referral", "grants"} & set(quotas)  # the services are not throttled


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
    # it may see that the answer topics exist (it writes there) but not read answers, not even its own
    for writable in (topics.referral_responses, topics.partner_responses("beta")):
        assert await broker_answers(synced, "partner-beta", writable.name) == (0, TOPIC_AUTHORIZATION_FAILED)
    assert await broker_answers(synced, "partner-beta", topics.partner_responses("alpha").name) == denied


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
    async with AccessAdmin(loopback(synced.admin_bootstrap)) as admin:
        await admin.create_acls([stray])
        await admin.alter_quotas({"partner-alpha": Quota(1, 1)}, [])  # a quota changed by hand
    again = await synced.sync(PARTNERS)
    assert (again.acls_created, again.acls_deleted, again.users_created) == ([], [stray], [])
    assert again.quotas_set == [("partner-alpha", PARTNER_QUOTA)]
    assert not (await synced.sync(PARTNERS)).changed

    # beta leaves partners.yaml: its login, its ACLs and its quota go
    without_beta = await synced.sync([p for p in PARTNERS if p != "beta"])
    assert without_beta.users_deleted == ["partner-beta"]
    assert set(without_beta.acls_deleted) == partner_acls("beta", synced.topics)
    assert without_beta.quotas_removed == ["partner-beta"]
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


async def test_the_partner_is_the_topics_and_an_answer_about_anothers_referral_changes_nothing(
    synced: SecuredKafka, kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    """Referral runs under its own login (no Create: the sync made the topics). Beta learned the id
    of a referral sent to alpha: it cannot write alpha's answer topic, and its answers on its own
    topic — naming itself, or naming alpha — are dead-lettered with the reason and change nothing."""
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
            case = str(event.key)
            intake = create_producer(synced.settings("intake"), "intake-test")
            await intake.start()
            try:
                await intake.send_and_wait(
                    topics.returnees.name, event.to_bytes(), key=case.encode(), headers=event.kafka_headers()
                )
            finally:
                await intake.stop()
            consumer = synced.consumer(
                "partner-alpha", topics.partner("alpha").name, group="partner.alpha.desk"
            )
            raw = await referral_issued(consumer, event.key)
            issued = Envelope.model_validate_json(raw)
            seen = Seen(topics.partner("alpha").name, case, raw, {}, 0)

            # beta cannot write alpha's answer topic at all
            forged = answer(seen, "decline", partner_id="alpha")
            with pytest.raises(TopicAuthorizationFailedError):
                await publish(
                    synced, "partner-beta", topics.partner_responses("alpha").name, forged.to_bytes(), case
                )
            # on its own topic it declines alpha's referral, naming itself and then naming alpha;
            # were either applied, the referral would be declined and re-routed
            for named in ("beta", "alpha"):
                declined = answer(seen, "decline", partner_id=named)
                await publish(
                    synced, "partner-beta", topics.partner_responses("beta").name, declined.to_bytes(), case
                )
            # then alpha accepts on its own topic
            accepted = answer(seen, "accept")
            await publish(
                synced, "partner-alpha", topics.partner_responses("alpha").name, accepted.to_bytes(), case
            )

            async def dead_lettered() -> list[Any]:  # earlier tests' records are on the DLQ too
                records = await read_topic(synced.admin_bootstrap, topics.partner_responses_dlq.name)
                mine = [r for r in records if r.key == case.encode()]
                return mine if len(mine) == 2 else []

            dead = await eventually(dead_lettered, what="beta's two answers on the dead-letter topic")
            reasons = [(headers_of(d)["x-dlq-error-type"], headers_of(d)["x-dlq-error"]) for d in dead]
            referral_id = issued.data["referral_id"]
            assert reasons == [
                (
                    "WrongPartner",
                    f"referral {referral_id} was not sent to partner 'beta' (it was sent to 'alpha')",
                ),
                ("WrongPartner", "the answer names partner 'alpha' but came from partner 'beta'"),
            ]
            assert {headers_of(d)["x-dlq-source-topic"] for d in dead} == {
                topics.partner_responses("beta").name
            }

            async def statuses() -> list[tuple[str, str]]:
                records = await read_topic(synced.admin_bootstrap, topics.referral_status.name)
                changes = [
                    Envelope.model_validate_json(r.value or b"") for r in records if r.key == case.encode()
                ]
                found = [
                    (c.data["partner_id"], c.data["status"])
                    for c in changes
                    if c.type == "ReferralStatusChanged"
                ]
                return found if ("alpha", "accepted") in found else []

            # alpha's acceptance is the only change: nothing declined, nothing re-routed
            assert await eventually(statuses, what="alpha's acceptance on referral.status.v1") == [
                ("alpha", "issued"),
                ("alpha", "accepted"),
            ]
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
