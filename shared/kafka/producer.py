"""Producers: idempotent, `acks=all` — an event counts as published only when every in-sync
replica has it, and a retried send is not written twice."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from shared.settings import Settings

from .security import kafka_security_options

# The producers' record batch size. The outbox relay sends a record larger than this in a batch of its own.
RECORD_BATCH_BYTES = 256 * 1024


def producer_options(settings: Settings, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        # the outbox relay hands over a partition's rows as one batch (send_batch): room for a
        # relay batch's worth per partition in one request, well under the broker's 1 MiB limit
        "max_batch_size": RECORD_BATCH_BYTES,
        **kafka_security_options(settings),
    }


def create_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_options(settings, client_id))
