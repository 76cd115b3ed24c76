"""Retention defaults: the inbox must outlive every redelivery of an event it recorded, or the event
would take effect again; the outbox keeps sent rows a week for looking into what was published."""

from __future__ import annotations

from shared.settings import Settings
from shared.topics import DAY_MS, Topics


def test_the_inbox_is_kept_at_least_as_long_as_any_consumed_topic_keeps_its_events() -> None:
    settings = Settings()
    assert (settings.outbox_retention_days, settings.inbox_retention_days) == (7, 30)
    longest = max(topic.retention_ms for topic in Topics().fixed())
    assert settings.inbox_retention_days * DAY_MS >= longest
