"""Which principals and ACLs must exist (deploy.kafka.access): pure, no broker. The same rules as
the Strimzi KafkaUsers in deploy/k8s/kafka/, checked here against those files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from deploy.k8s.generate_topics import partner_ids
from deploy.kafka.access import (
    PARTNER_QUOTA,
    AclBinding,
    Quota,
    acl_changes,
    desired_access,
    partner_acls,
    principal,
    quota_changes,
    user_changes,
)
from shared.topics import Topics

REPO = Path(__file__).resolve().parents[2]
K8S_KAFKA = REPO / "deploy" / "k8s" / "kafka"
PATTERNS = {"literal": "literal", "prefix": "prefixed"}

# ids a partner may have (`v<digits>` is reserved: see test_an_id_that_reads_like_a_version_is_refused)
partner_id = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True).filter(
    lambda pid: not re.fullmatch(r"v[0-9]+", pid)
)


def strimzi_acls() -> set[AclBinding]:
    """The ACLs every KafkaUser in deploy/k8s/kafka/ grants, one binding per operation."""
    bindings = set()
    for name in ("users.yaml", "partner-users.yaml"):
        for user in yaml.safe_load_all((K8S_KAFKA / name).read_text(encoding="utf-8")):
            if not user:
                continue
            rules: list[dict[str, Any]] = user["spec"]["authorization"]["acls"]
            for rule in rules:
                resource = rule["resource"]
                for operation in rule["operations"]:
                    bindings.add(
                        AclBinding(
                            principal(user["metadata"]["name"]),
                            resource["type"],
                            resource["name"],
                            PATTERNS[resource["patternType"]],
                            operation,
                        )
                    )
    return bindings


def strimzi_quotas() -> dict[str, Quota]:
    quotas = {}
    for name in ("users.yaml", "partner-users.yaml"):
        for user in yaml.safe_load_all((K8S_KAFKA / name).read_text(encoding="utf-8")):
            if user and "quotas" in user["spec"]:
                rates = user["spec"]["quotas"]
                quotas[user["metadata"]["name"]] = Quota(rates["producerByteRate"], rates["consumerByteRate"])
    return quotas


def test_the_sync_grants_exactly_what_the_kubernetes_deployment_grants() -> None:
    access = desired_access(partner_ids())
    assert access.acls == strimzi_acls()
    assert access.users == {b.principal.removeprefix("User:") for b in access.acls}
    assert access.quotas == strimzi_quotas()
    assert set(access.quotas) == {u for u in access.users if u.startswith("partner-")}


def test_a_partner_may_read_its_topic_use_its_groups_and_write_its_answers_only() -> None:
    topics = Topics()
    assert partner_acls("vardar", topics) == {
        AclBinding("User:partner-vardar", "topic", "referrals.vardar.", "prefixed", "Read"),
        AclBinding("User:partner-vardar", "topic", "referrals.vardar.", "prefixed", "Describe"),
        AclBinding("User:partner-vardar", "group", "partner.vardar.", "prefixed", "Read"),
        AclBinding("User:partner-vardar", "topic", "referral.responses.vardar.", "prefixed", "Write"),
        AclBinding("User:partner-vardar", "topic", "referral.responses.vardar.", "prefixed", "Describe"),
        # the deprecated shared topic, for its deprecation period
        AclBinding("User:partner-vardar", "topic", "referral.responses.v1", "literal", "Write"),
        AclBinding("User:partner-vardar", "topic", "referral.responses.v1", "literal", "Describe"),
    }


@given(partner_id, partner_id)
def test_no_partner_rule_reaches_another_partners_topic_or_group(own: str, other: str) -> None:
    topics = Topics()
    rules = partner_acls(own, topics)
    own_names = {topics.partner(own).name, topics.partner_responses(own).name, f"partner.{own}.app"}
    other_names = {
        topics.partner(other).name,
        topics.partner_responses(other).name,
        topics.partner_responses(other).dlq.name,
        f"partner.{other}.app",
    }

    def reaches(rule: AclBinding, name: str) -> bool:
        return name == rule.resource_name or (
            rule.pattern_type == "prefixed" and name.startswith(rule.resource_name)
        )

    assert all(any(reaches(r, name) for r in rules) for name in own_names)
    if other != own:
        assert not any(reaches(r, name) for r in rules for name in other_names)
    # never intake's topic, another service's group, or anything to write but the responses
    assert not any(reaches(r, topics.returnees.name) for r in rules)
    assert not any(reaches(r, "referral.responses") for r in rules if r.resource_type == "group")
    writes = [r for r in rules if r.operation == "Write"]
    assert {r.resource_name for r in writes} == {
        f"referral.responses.{own}.",
        topics.referral_responses.name,
    }
    # no partner may write a dead-letter topic: an operator replays dead letters to their source
    for dead_letters in (topics.partner_responses_dlq, topics.referral_responses.dlq):
        assert not any(reaches(r, dead_letters.name) for r in writes)


@given(partner_id)
def test_an_answer_topic_names_its_partner_and_no_other_topic_does(partner: str) -> None:
    topics = Topics("t1.")
    assert topics.answering_partner(topics.partner_responses(partner).name) == partner
    assert topics.dead_letter_topic(topics.partner_responses(partner).name) == "t1.referral.responses.dlq"
    for name in (
        topics.referral_responses.name,
        topics.partner_responses(partner).dlq.name,
        topics.partner(partner).name,
        topics.partner_responses_dlq.name,
        Topics("t2.").partner_responses(partner).name,  # another deployment's
    ):
        assert topics.answering_partner(name) is None, name


def test_a_topic_prefix_prefixes_every_topic_and_group_rule() -> None:
    access = desired_access(["alpha"], Topics("t1."))
    assert all(b.resource_name.startswith("t1.") for b in access.acls)
    assert all(t.name.startswith("t1.") for t in access.topics)


def test_changes_create_what_is_missing_and_delete_what_is_extra() -> None:
    wanted = desired_access(["alpha", "beta"]).acls
    stray = AclBinding("User:partner-alpha", "topic", "intake.", "prefixed", "Read")
    present = (wanted - partner_acls("beta", Topics())) | {stray}
    changes = acl_changes(wanted, present)
    assert set(changes.create) == partner_acls("beta", Topics())
    assert changes.delete == (stray,)
    assert acl_changes(wanted, wanted) == acl_changes([], [])  # nothing to do twice


def test_quota_changes_set_what_differs_and_remove_only_partners_quotas() -> None:
    other = Quota(1, 2)
    changes = quota_changes(
        {"partner-a": PARTNER_QUOTA, "partner-b": PARTNER_QUOTA, "partner-c": PARTNER_QUOTA},
        {"partner-a": PARTNER_QUOTA, "partner-b": other, "partner-gone": PARTNER_QUOTA, "ops": other},
    )
    assert changes.set == (("partner-b", PARTNER_QUOTA), ("partner-c", PARTNER_QUOTA))
    assert changes.remove == ("partner-gone",)
    # a quota of another shape (None) is replaced by Homeward's
    assert quota_changes({"partner-a": PARTNER_QUOTA}, {"partner-a": None}).set == (
        ("partner-a", PARTNER_QUOTA),
    )


def test_an_id_that_reads_like_a_version_is_refused() -> None:
    # partner v1's write prefix would be `referral.responses.v1.`: it would reach the shared topic's DLQ
    for bad in ("v1", "v22"):
        with pytest.raises(ValueError, match="not usable"):
            partner_acls(bad, Topics())


def test_only_partner_logins_are_removed() -> None:
    changes = user_changes(
        ["intake", "referral", "grants", "partner-alpha"], ["admin", "intake", "partner-gone", "ops"]
    )
    assert changes.create == ("grants", "partner-alpha", "referral")
    assert changes.delete == ("partner-gone",)
