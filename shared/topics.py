"""Every topic name, its partitions and retention, in one place, and their idempotent creation.

Names take an optional prefix: tests run each case on topics of its own, and a second tenant on a
shared cluster could too. The broker refuses to auto-create topics, so a name that is not made
here does not exist.

Replication: a spec may name its own; else `ensure_topics` is told one (the services pass
`HOMEWARD_KAFKA_TOPIC_REPLICATION`); else the cluster decides, by its `default.replication.factor`
— what its operator declared, 1 on the single local broker and 3 on the local cluster and the
Strimzi one — rather than by the brokers alive at the moment, which would make a topic created
while a broker is down weaker for ever. Every topic gets `min.insync.replicas` to match: 2 from
three copies up, so that with `acks=all` one broker may be lost with no acknowledged event lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

DAY_MS = 24 * 60 * 60 * 1000
_PARTNER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# An id that reads like a topic version (`v1`) would make `referral.responses.v1.` — partner v1's
# write prefix — cover the deprecated shared topic's dead letters: refused.
_RESERVED_PARTNER_ID = re.compile(r"^v[0-9]+$")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    replication: int | None = None  # None: as ensure_topics is told, else the cluster's default

    @property
    def dlq(self) -> TopicSpec:
        return TopicSpec(
            f"{self.name}.dlq", partitions=1, retention_ms=90 * DAY_MS, replication=self.replication
        )

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": "delete"}


@dataclass(frozen=True)
class Topics:
    """`Topics(prefix)` names every topic of one deployment (or one test)."""

    prefix: str = ""
    replication: int | None = None  # None: as ensure_topics is told, else the cluster's default

    def _spec(self, name: str, partitions: int, retention_days: int | None) -> TopicSpec:
        """`retention_days=None`: kept forever (`retention.ms=-1`)."""
        retention_ms = -1 if retention_days is None else retention_days * DAY_MS
        return TopicSpec(self.prefix + name, partitions, retention_ms, self.replication)

    @property
    def returnees(self) -> TopicSpec:
        return self._spec("intake.returnees.v1", partitions=6, retention_days=30)

    @property
    def referral_responses(self) -> TopicSpec:
        """The shared answer topic every partner could write: deprecated (an answer there names its
        partner itself). Read for one deprecation period; partners answer on `partner_responses`."""
        return self._spec("referral.responses.v1", partitions=3, retention_days=30)

    def partner_responses(self, partner_id: str) -> TopicSpec:
        """`referral.responses.<partner_id>.v1`: written by that partner only (a prefixed ACL), so an
        answer read here is that partner's whatever the message says."""
        check_partner_id(partner_id)
        return self._spec(f"referral.responses.{partner_id}.v1", partitions=3, retention_days=30)

    @property
    def partner_responses_dlq(self) -> TopicSpec:
        """Where answers from every partner's own topic are dead-lettered: one topic, named outside
        any partner's write prefix (`referral.responses.<id>.`). Were it `<topic>.dlq`, a partner
        could write dead letters of its own, naming another partner's topic as their source, for an
        operator to replay there."""
        return TopicSpec(
            f"{self.prefix}referral.responses.dlq",
            partitions=1,
            retention_ms=90 * DAY_MS,
            replication=self.replication,
        )

    def answering_partner(self, topic: str) -> str | None:
        """The partner whose own answer topic `topic` is; None for any other topic."""
        found = self._partner_answer_topic().fullmatch(topic)
        return found.group(1) if found else None

    def dead_letter_topic(self, topic: str) -> str:
        """The dead-letter topic of a consumed topic: `<topic>.dlq`, except for partners' own answer
        topics (see `partner_responses_dlq`)."""
        if self.answering_partner(topic) is not None:
            return self.partner_responses_dlq.name
        return f"{topic}.dlq"

    def _partner_answer_topic(self) -> re.Pattern[str]:
        return re.compile(
            re.escape(f"{self.prefix}referral.responses.") + r"([a-z0-9][a-z0-9-]{1,62})\.v[0-9]+"
        )

    @property
    def referral_status(self) -> TopicSpec:
        return self._spec("referral.status.v1", partitions=3, retention_days=30)

    @property
    def grants_installments(self) -> TopicSpec:
        return self._spec("grants.installments.v1", partitions=3, retention_days=30)

    @property
    def ledger_checkpoints(self) -> TopicSpec:
        """Grants' signed ledger checkpoints, kept forever: an auditor checks an export against every
        checkpoint ever signed. One partition under one fixed key: each checkpoint covers the whole
        chain (every programme), so they are read in signing order."""
        return self._spec("grants.ledger-checkpoints.v1", partitions=1, retention_days=None)

    def partner(self, partner_id: str) -> TopicSpec:
        """`referrals.<partner_id>.v1`: read by that partner only (a prefixed ACL in deployment)."""
        check_partner_id(partner_id)
        return self._spec(f"referrals.{partner_id}.v1", partitions=3, retention_days=14)

    def fixed(self) -> list[TopicSpec]:
        return [self.returnees, self.referral_responses, self.referral_status, self.grants_installments]

    def read_outside(self) -> list[TopicSpec]:
        """Fixed topics auditors and donors' tools read outside Homeward (reporting reads them too)."""
        return [self.ledger_checkpoints]

    def deployment(self, partner_ids: Iterable[str]) -> list[TopicSpec]:
        """Every topic a deployment with these partners needs: the fixed ones with their dead-letter
        topics, those read outside Homeward, and per partner its referrals and its answers (whose
        dead letters share one topic)."""
        partners = sorted(set(partner_ids))
        return [
            *self.with_dlqs(self.fixed()),
            *self.read_outside(),
            # reporting reads the checkpoints into its read model: a malformed one is dead-lettered
            self.ledger_checkpoints.dlq,
            self.partner_responses_dlq,
            *(self.partner(p) for p in partners),
            *(self.partner_responses(p) for p in partners),
        ]

    def with_dlqs(self, specs: Iterable[TopicSpec]) -> list[TopicSpec]:
        return [t for spec in specs for t in (spec, spec.dlq)]


def min_insync_replicas(replication: int) -> int:
    """How many copies a write needs before `acks=all` acknowledges it: two once there are three
    (one broker may be lost, and writes go on), else one."""
    return 2 if replication >= 3 else 1


def check_partner_id(partner_id: str) -> None:
    """Refuse an id that cannot name a partner's topics (ValueError)."""
    if not _PARTNER_ID.match(partner_id) or _RESERVED_PARTNER_ID.match(partner_id):
        raise ValueError(f"partner id {partner_id!r} is not usable in a topic name")


async def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    *,
    replication: int | None = None,
    **client_options: object,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Safe to call at every start.

    A topic's replication is its spec's, else `replication`, else the cluster's default (asked only
    when a topic is missing: a service whose topics exist needs no right to read broker configs)."""
    wanted = {spec.name: spec for spec in specs}
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        absent = [spec for name, spec in wanted.items() if name not in existing]
        if not absent:
            return []
        default = replication
        if default is None and any(spec.replication is None for spec in absent):
            default = await default_replication(admin)
        missing = []
        for spec in absent:
            copies = spec.replication or default or 1
            missing.append(
                NewTopic(
                    name=spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=copies,
                    topic_configs={**spec.config(), "min.insync.replicas": str(min_insync_replicas(copies))},
                )
            )
        response = await admin.create_topics(missing)
        created = []
        for name, code, *_ in getattr(response, "topic_errors", getattr(response, "topic_error_codes", [])):
            if code == 0:
                created.append(name)
            elif code != TopicAlreadyExistsError.errno:  # another service won the race: fine
                raise RuntimeError(f"creating topic {name} failed with Kafka error code {code}")
        return created
    finally:
        await admin.close()


async def default_replication(admin: AIOKafkaAdminClient) -> int:
    """The cluster's `default.replication.factor`, as one of its brokers reports it."""
    cluster = await admin.describe_cluster()
    broker = str(min(b["node_id"] for b in cluster["brokers"]))
    resource = ConfigResource(ConfigResourceType.BROKER, broker, {"default.replication.factor": None})
    (response,) = await admin.describe_configs([resource])
    for found in response.to_object()["resources"]:
        if found["error_code"] != 0:
            raise RuntimeError(
                f"reading broker {broker}'s default.replication.factor failed with Kafka error code"
                f" {found['error_code']}: {found['error_message']}"
            )
        for entry in found["config_entries"]:
            if entry["config_names"] == "default.replication.factor":
                return int(entry["config_value"])
    raise RuntimeError(f"broker {broker} did not report its default.replication.factor")
