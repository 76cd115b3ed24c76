"""The faststream broker every service consumes with: its middleware installed, and every
subscriber joining its consumer group the way the process's settings say (static or dynamic member,
session timeout, heartbeats)."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from shared.settings import Settings
from shared.topics import Topics

from .consuming import ConsumingRules
from .security import broker_security


def bootstrap_list(servers: str) -> list[str]:
    """`host:port,host:port` as a list: faststream takes a string for ONE address (aiokafka would
    split it, but faststream hands it over as a list of that one string), so a cluster's
    comma-separated bootstrap list must reach it split."""
    return [server.strip() for server in servers.split(",") if server.strip()]


def membership(settings: Settings) -> dict[str, Any]:
    """How each of the process's consumers joins its group: one instance id serves every group, since
    an id must be unique within a group, and each subscriber of a process has a group of its own."""
    return {
        "group_instance_id": settings.kafka_group_instance_id,
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
    }


class MemberBroker(KafkaBroker):
    """faststream's KafkaBroker whose subscribers join their groups with the process's membership
    settings unless a subscription names its own: membership is the process's (which replica it
    is, how fast a dead one is noticed), not each subscription's."""

    def __init__(self, *args: Any, membership: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership

    def subscriber(self, *topics: Any, **options: Any) -> Any:
        return super().subscriber(*topics, **{**self.membership, **options})


def create_broker(settings: Settings, service: str, **options: Any) -> KafkaBroker:
    """A faststream broker with Homeward's middlewares. Subscribe with `subscriber_options()`."""
    rules = ConsumingRules(
        # resolved at call time: the broker below exists by the first message
        publish=lambda topic, value, key, headers: broker.publish(
            value, topic=topic, key=key, headers=headers
        ),
        max_attempts=settings.consumer_max_attempts,
        backoff_initial_s=settings.consumer_backoff_initial_s,
        backoff_max_s=settings.consumer_backoff_max_s,
        # one naming rule for every service: `<topic>.dlq`, but partners' own answer topics share one
        dead_letter_topic=Topics(settings.topic_prefix).dead_letter_topic,
    )
    broker = MemberBroker(
        bootstrap_list(settings.kafka_bootstrap_servers),
        membership=membership(settings),
        middlewares=[rules.middleware],
        client_id=f"homeward-{service}",
        acks="all",
        enable_idempotence=True,
        logger=logging.getLogger(f"faststream.{service}"),
        # "Received"/"Processed" for every message is noise at INFO; our middleware logs what matters
        log_level=logging.DEBUG,
        allow_auto_create_topics=False,
        **({"security": broker_security(settings)} | options),
    )
    return broker
