"""Which principals and ACLs must exist (deploy.kafka.access): pure, no broker. The same rules as
the Strimzi KafkaUsers in deploy/k8s/kafka/, checked here against those files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from deploy.k8s.generate_topics import partner_ids
from deploy.kafka.access import (
    AclBinding,
    acl_changes,
    desired_access,
    partner_acls,
    principal,
    user_changes,
)
from shared.topics import Topics

REPO = Path(__file__).resolve().parents[2]
K8S_KAFKA = REPO / "deploy" / "k8s" / "kafka"
PATTERNS = {"literal": "literal", "prefix": "prefixed"}

partner_id = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)


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


def test_the_sync_grants_exactly_what_the_kubernetes_deployment_grants() -> None:
    access = desired_access(partner_ids())
    assert access.acls == strimzi_acls()
    assert access.users == {b.principal.removeprefix("User:") for b in access.acls}


def test_a_partner_may_read_its_topic_use_its_groups_and_write_responses_only() -> None:
    topics = Topics()
    assert partner_acls("vardar", topics) == {
        AclBinding("User:partner-vardar", "topic", "referrals.vardar.", "prefixed", "Read"),
        AclBinding("User:partner-vardar", "topic", "referrals.vardar.", "prefixed", "Describe"),
        AclBinding("User:partner-vardar", "group", "partner.vardar.", "prefixed", "Read"),
        AclBinding("User:partner-vardar", "topic", "referral.responses.v1", "literal", "Write"),
        AclBinding("User:partner-vardar", "topic", "referral.responses.v1", "literal", "Describe"),
    }


@given(partner_id, partner_id)
def test_no_partner_rule_reaches_another_partners_topic_or_group(own: str, other: str) -> None:
    topics = Topics()
    rules = partner_acls(own, topics)
    own_names = {topics.partner(own).name, f"partner.{own}.app"}
    other_names = {topics.partner(other).name, f"partner.{other}.app"}

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
    assert {r.resource_name for r in rules if r.operation == "Write"} == {topics.referral_responses.name}


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


def test_only_partner_logins_are_removed() -> None:
    changes = user_changes(
        ["intake", "referral", "grants", "partner-alpha"], ["admin", "intake", "partner-gone", "ops"]
    )
    assert changes.create == ("grants", "partner-alpha", "referral")
    assert changes.delete == ("partner-gone",)
