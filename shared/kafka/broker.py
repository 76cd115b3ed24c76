"""The faststream broker every service consumes with, its middleware installed."""

from __future__ import annotations

import logging
from typing import Any

from faststream.kafka import KafkaBroker

from shared.settings import Settings
from shared.topics import Topics

from .consuming import ConsumingRules
from .security import broker_security


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
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
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
