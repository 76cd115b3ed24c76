"""/metrics is read without signing in: no series may name the partner whose answer topic it counts
(its moving as the partner answers would tell which partner holds a case, and a specialised
partner's id tells a vulnerability). Partners' answer topics share one label; lags add up."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from shared.kafka.positions import report_lag
from shared.metrics import topic_label


def test_every_partners_answer_topic_has_one_label_and_no_other_topic_changes() -> None:
    for prefix in ("", "t1234abcd."):
        for partner in ("kale-safe-house", "bitola-homes", "a1"):
            assert topic_label(f"{prefix}referral.responses.{partner}.v1") == (
                f"{prefix}referral.responses.<partner>.v1"
            )
        for topic in (
            "referral.responses.v1",  # the deprecated shared topic names no partner
            "referral.responses.dlq",
            "intake.returnees.v1",
            "referral.status.v1",
            "intake.returnees.v1.dlq",
        ):
            assert topic_label(prefix + topic) == prefix + topic


def _delivery(highwater: dict[TopicPartition, int], records: list[tuple[str, int, int]]) -> tuple[Any, ...]:
    consumer = SimpleNamespace(highwater=highwater.get, assignment=lambda: set(highwater))
    message = SimpleNamespace(consumer=consumer)
    return message, tuple(SimpleNamespace(topic=t, partition=p, offset=o) for t, p, o in records)


def test_the_lags_of_partners_answer_topics_add_up_in_their_shared_series() -> None:
    one, two = "referral.responses.kale-safe-house.v1", "referral.responses.bitola-homes.v1"
    highwater = {TopicPartition(one, 0): 10, TopicPartition(two, 0): 5}
    message, records = _delivery(highwater, [(one, 0, 6)])  # 3 behind
    report_lag(message, records, "lag-test")
    message, records = _delivery(highwater, [(two, 0, 3)])  # 1 behind
    report_lag(message, records, "lag-test")
    series = {"group": "lag-test", "topic": "referral.responses.<partner>.v1", "partition": "0"}
    assert REGISTRY.get_sample_value("homeward_consumer_lag_records", series) == 4
    message, records = _delivery(highwater, [(one, 0, 9)])  # caught up
    report_lag(message, records, "lag-test")
    assert REGISTRY.get_sample_value("homeward_consumer_lag_records", series) == 1
    named = [
        s.labels["topic"] for m in REGISTRY.collect() for s in m.samples if "lag-test" in s.labels.values()
    ]
    assert not [t for t in named if "kale" in t or "bitola" in t]
