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

    def _spec(self, name: str, partitions: int, retention_days: int) -> TopicSpec:
        return TopicSpec(self.prefix + name, partitions, retention_days * DAY_MS, self.replication)

    @property
    def returnees(self) -> TopicSpec:
        return self._spec("intake.returnees.v1", partitions=6, retention_days=30)

    @property
    def referral_responses(self) -> TopicSpec:
        return self._spec("referral.responses.v1", partitions=3, retention_days=30)

    @property
    def referral_status(self) -> TopicSpec:
        return self._spec("referral.status.v1", partitions=3, retention_days=30)

    @property
    def grants_installments(self) -> TopicSpec:
        return self._spec("grants.installments.v1", partitions=3, retention_days=30)

    def partner(self, partner_id: str) -> TopicSpec:
        """`referrals.<partner_id>.v1`: read by that partner only (a prefixed ACL in deployment)."""
        if not _PARTNER_ID.match(partner_id):
            raise ValueError(f"partner id {partner_id!r} is not usable in a topic name")
        return self._spec(f"referrals.{partner_id}.v1", partitions=3, retention_days=14)

    def fixed(self) -> list[TopicSpec]:
        return [self.returnees, self.referral_responses, self.referral_status, self.grants_installments]

    def with_dlqs(self, specs: Iterable[TopicSpec]) -> list[TopicSpec]:
        return [t for spec in specs for t in (spec, spec.dlq)]


def min_insync_replicas(replication: int) -> int:
    """How many copies a write needs before `acks=all` acknowledges it: two once there are three
    (one broker may be lost, and writes go on), else one."""
    return 2 if replication >= 3 else 1


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
