"""Referral's status topic, read as any consumer of the contract would: where it ended when the demo
started, and everything after that, to time each referral from issued to accepted."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from homeward.demo.client import SystemNotRunning


class StatusWatch:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.start_offsets: dict[TopicPartition, int] = {}

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None)

    async def mark_start(self) -> None:
        consumer = self._consumer()
        try:
            await consumer.start()
        except KafkaError as error:
            raise SystemNotRunning(
                f"cannot reach Kafka at {self.bootstrap} ({error}). Start the system first"
                " (`make run` in another terminal), or point the demo at the broker with --bootstrap."
            ) from None
        try:
            partitions = await self._partitions(consumer)
            self.start_offsets = await consumer.end_offsets(partitions)
        finally:
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        found = consumer.partitions_for_topic(self.topic)
        if not found:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(self.topic) or set()
        if not found:
            raise SystemNotRunning(
                f"topic {self.topic} does not exist on {self.bootstrap}: is referral running against this"
                " broker, with the same topic prefix (--topic-prefix)?"
            )
        return [TopicPartition(self.topic, p) for p in sorted(found)]

    async def events_since_start(self) -> list[dict[str, Any]]:
        """Every envelope written to the topic since `mark_start`, up to its end now."""
        consumer = self._consumer()
        await consumer.start()
        try:
            partitions = await self._partitions(consumer)
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, self.start_offsets.get(tp, 0))
            events: list[dict[str, Any]] = []
            while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, records in batch.items():
                    events += [json.loads(r.value) for r in records if r.offset < ends[tp]]
            return events
        finally:
            await consumer.stop()


def times_to_acceptance(
    events: list[dict[str, Any]], case_ids: set[str]
) -> dict[tuple[str, str], list[float]]:
    """(category, partner) → seconds from each referral's issue to its acceptance, for `case_ids`."""
    issued: dict[str, datetime] = {}
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for event in sorted(events, key=lambda e: (e["occurred_at"], e["event_id"])):
        data = event.get("data", {})
        if event.get("type") != "ReferralStatusChanged" or data.get("case_id") not in case_ids:
            continue
        at = datetime.fromisoformat(event["occurred_at"])
        if data["status"] == "issued":
            issued[data["referral_id"]] = at
        elif data["status"] == "accepted" and data["referral_id"] in issued:
            seconds = (at - issued[data["referral_id"]]).total_seconds()
            waits[(data["category"], data["partner_id"])].append(seconds)
    return dict(waits)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
