"""The example partner (examples/partner_consumer.py) keeps the event ids it acted on, within bounded
memory, and answers on its own topic."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner_consumer.py"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("partner_consumer_under_test", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_event_id_is_acted_on_once() -> None:
    seen = example().SeenEvents()
    assert seen.first_time("01a2-aaaa")
    assert not seen.first_time("01a2-aaaa")  # the same event delivered again
    assert seen.first_time("01a2-bbbb")


def test_memory_is_bounded_and_the_least_recently_seen_id_is_forgotten_first() -> None:
    seen = example().SeenEvents(capacity=3)
    for event_id in ("a", "b", "c"):
        assert seen.first_time(event_id)
    assert not seen.first_time("a")  # seen again: now the most recent
    assert seen.first_time("d")  # a fourth: "b", the least recently seen, goes
    assert len(seen) == 3
    assert not seen.first_time("a")
    assert seen.first_time("b")  # forgotten, so it counts as new (answered again: harmless)
    assert len(seen) == 3


def test_a_partner_answers_on_its_own_topic_unless_told_to_use_the_deprecated_one() -> None:
    module = example()
    assert module.responses_topic("vardar") == "referral.responses.vardar.v1"
    assert module.responses_topic("vardar", topic_prefix="t1.") == "t1.referral.responses.vardar.v1"
    assert module.responses_topic("vardar", shared=True) == "referral.responses.v1"
