"""Which principals, ACLs and quotas a Homeward broker must have: a pure function of the partner
ids and the topic names, the same rules as the Strimzi KafkaUsers in `deploy/k8s/kafka/` (a unit
test holds the two together).

- each service (`User:intake`, `User:referral`, `User:grants`, `User:reporting`): Read+Describe on
  what it consumes, Write+Describe on each consumed topic's dead-letter topic and on what it
  publishes, Read on its own consumer groups (`<service>.` prefixed); no Create: the topics are
  made by the sync, as by Strimzi. Referral reads every partner's answer topic, including
  partners added later, hence a prefix (`referral.responses.`), and writes them too (the partner
  portal answers for the signed-in partner's staff on that partner's own topic);
- each partner (`User:partner-<id>`): Read+Describe on `referrals.<id>.` (prefixed: every version
  of its own topic), Read on its consumer groups `partner.<id>.` (prefixed), Write+Describe on
  `referral.responses.<id>.` (prefixed: its own answer topic, the only one its answers count on)
  and, for the deprecation period, on the shared `referral.responses.v1` — nothing else. The
  trailing dots keep partner `abc` off `referrals.abc-shelter.v1` and `referral.responses.abc-shelter.v1`;
- each partner's login is held to a produce and a fetch byte rate (`PARTNER_QUOTA`): one partner's
  runaway client slows only itself, not the brokers every service shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.topics import Topics, TopicSpec, check_partner_id

SERVICES = ("intake", "referral", "grants", "reporting")
PARTNER_PREFIX = "partner-"
WILDCARD_HOST = "*"


@dataclass(frozen=True, order=True)
class AclBinding:
    """One allow rule, the unit Kafka stores: one principal, one resource pattern, one operation."""

    principal: str  # "User:<name>"
    resource_type: str  # topic | group
    resource_name: str
    pattern_type: str  # literal | prefixed
    operation: str  # Read | Write | Describe
    host: str = WILDCARD_HOST
    permission: str = "allow"

    def line(self) -> str:
        return (
            f"{self.permission} {self.principal} {self.operation} on {self.resource_type} "
            f"{self.resource_name!r} ({self.pattern_type})"
        )


def principal(user: str) -> str:
    return f"User:{user}"


def partner_user(partner_id: str) -> str:
    return f"{PARTNER_PREFIX}{partner_id}"


def _rules(user: str, resource_type: str, name: str, pattern: str, *operations: str) -> set[AclBinding]:
    return {AclBinding(principal(user), resource_type, name, pattern, op) for op in operations}


def service_consumes(topics: Topics) -> dict[str, list[TopicSpec]]:
    """The topics each service reads by name (each with its `.dlq`)."""
    return {
        "intake": [topics.referral_status, topics.grants_installments],
        "referral": [topics.returnees, topics.referral_responses],
        "grants": [topics.returnees, topics.referral_status],
        # the read model: every topic it is built from (and replayed from by `reporting rebuild`)
        "reporting": [
            topics.returnees,
            topics.referral_status,
            topics.grants_installments,
            topics.ledger_checkpoints,
        ],
    }


def service_reads_by_prefix(topics: Topics) -> dict[str, list[tuple[str, str]]]:
    """(prefix, its dead-letter topic) each service reads beyond `service_consumes`: referral reads
    every partner's own answer topic, including partners added later. The prefix covers the shared
    `referral.responses.v1` too, which referral reads anyway."""
    return {
        "intake": [],
        "referral": [(f"{topics.prefix}referral.responses.", topics.partner_responses_dlq.name)],
        "grants": [],
        "reporting": [],
    }


def service_publishes(topics: Topics) -> dict[str, list[tuple[str, str]]]:
    """(name, pattern type) each service writes; referral writes every partner's topic, including
    partners added later, hence a prefix. Referral also writes partners' answer topics
    (`referral.responses.<id>.v1`): the partner portal sends a partner's answer there for it, as the
    partner's own login would (the portal's session decides which partner, never a form), so that
    one consumer applies every answer. Partners' rules do not change: each still writes only its
    own answer topic, and no partner can write another's."""
    return {
        "intake": [(topics.returnees.name, "literal")],
        "referral": [
            (f"{topics.prefix}referrals.", "prefixed"),
            (topics.referral_status.name, "literal"),
            (f"{topics.prefix}referral.responses.", "prefixed"),
        ],
        "grants": [(topics.grants_installments.name, "literal"), (topics.ledger_checkpoints.name, "literal")],
        "reporting": [],  # publishes nothing
    }


def service_acls(service: str, topics: Topics) -> set[AclBinding]:
    rules = _rules(service, "group", f"{topics.prefix}{service}.", "prefixed", "Read")
    for spec in service_consumes(topics)[service]:
        rules |= _rules(service, "topic", spec.name, "literal", "Read", "Describe")
        rules |= _rules(service, "topic", spec.dlq.name, "literal", "Write", "Describe")
    for prefix, dead_letters in service_reads_by_prefix(topics)[service]:
        rules |= _rules(service, "topic", prefix, "prefixed", "Read", "Describe")
        rules |= _rules(service, "topic", dead_letters, "literal", "Write", "Describe")
    for name, pattern in service_publishes(topics)[service]:
        rules |= _rules(service, "topic", name, pattern, "Write", "Describe")
    return rules


def partner_acls(partner_id: str, topics: Topics) -> set[AclBinding]:
    check_partner_id(partner_id)
    user = partner_user(partner_id)
    own_answers = f"{topics.prefix}referral.responses.{partner_id}."
    return (
        _rules(user, "topic", f"{topics.prefix}referrals.{partner_id}.", "prefixed", "Read", "Describe")
        | _rules(user, "group", f"{topics.prefix}partner.{partner_id}.", "prefixed", "Read")
        | _rules(user, "topic", own_answers, "prefixed", "Write", "Describe")
        # deprecated: goes with the shared topic at the end of its deprecation period
        | _rules(user, "topic", topics.referral_responses.name, "literal", "Write", "Describe")
    )


@dataclass(frozen=True, order=True)
class Quota:
    """Byte rates one login may produce and fetch, per broker (Kafka's `producer_byte_rate` and
    `consumer_byte_rate`; Strimzi's `producerByteRate` and `consumerByteRate`)."""

    producer_byte_rate: int
    consumer_byte_rate: int


# A partner answers a few events a second of well under a kilobyte each, and fetches its referrals:
# a burst of a few megabytes when it catches up after days away. These rates leave room for that
# and keep one partner's runaway loop from taking the brokers' bandwidth from the services.
PARTNER_QUOTA = Quota(producer_byte_rate=100 * 1024, consumer_byte_rate=1024 * 1024)


@dataclass(frozen=True)
class Access:
    """What the broker must hold: the users (SCRAM logins), their ACLs, and the topics."""

    users: frozenset[str]
    acls: frozenset[AclBinding]
    topics: tuple[TopicSpec, ...]
    quotas: Mapping[str, Quota]  # user → its quota; users not named here have none


def desired_access(partner_ids: Iterable[str], topics: Topics | None = None) -> Access:
    topics = topics or Topics()
    partners = sorted(set(partner_ids))
    acls: set[AclBinding] = set()
    for service in SERVICES:
        acls |= service_acls(service, topics)
    for partner_id in partners:
        acls |= partner_acls(partner_id, topics)
    return Access(
        users=frozenset([*SERVICES, *(partner_user(p) for p in partners)]),
        acls=frozenset(acls),
        topics=tuple(topics.deployment(partners)),
        quotas={partner_user(p): PARTNER_QUOTA for p in partners},
    )


@dataclass(frozen=True)
class AclChanges:
    create: tuple[AclBinding, ...]
    delete: tuple[AclBinding, ...]


def acl_changes(desired: Iterable[AclBinding], existing: Iterable[AclBinding]) -> AclChanges:
    """Create what is missing, delete what is extra: afterwards the broker holds exactly `desired`.
    Every ACL on the cluster is managed here; one added by hand goes at the next sync."""
    wanted, present = set(desired), set(existing)
    return AclChanges(create=tuple(sorted(wanted - present)), delete=tuple(sorted(present - wanted)))


@dataclass(frozen=True)
class UserChanges:
    create: tuple[str, ...]
    delete: tuple[str, ...]


def user_changes(desired: Iterable[str], existing: Iterable[str]) -> UserChanges:
    """Logins to create, and partner logins to delete (a partner gone from partners.yaml). Other
    users — the admin, an operator's — are not Homeward's to remove."""
    wanted, present = set(desired), set(existing)
    extra = {u for u in present - wanted if u.startswith(PARTNER_PREFIX)}
    return UserChanges(create=tuple(sorted(wanted - present)), delete=tuple(sorted(extra)))


@dataclass(frozen=True)
class QuotaChanges:
    set: tuple[tuple[str, Quota], ...]
    remove: tuple[str, ...]


def quota_changes(desired: Mapping[str, Quota], existing: Mapping[str, Quota | None]) -> QuotaChanges:
    """Quotas to set (missing or different) and partner users' quotas to remove (a partner gone
    from partners.yaml). `existing` maps each user that has any quota to it (None: a quota of a
    kind Homeward does not set, which a sync replaces). Other users' quotas are left alone."""
    to_set = tuple(sorted((u, q) for u, q in desired.items() if existing.get(u) != q))
    to_remove = tuple(sorted(u for u in existing if u not in desired and u.startswith(PARTNER_PREFIX)))
    return QuotaChanges(set=to_set, remove=to_remove)
