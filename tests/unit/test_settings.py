"""Settings come from the environment, the same way for every service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import Settings


def test_the_homeward_prefix_configures_a_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_TOPIC_PREFIX", "tenant-a.")
    monkeypatch.setenv("HOMEWARD_OUTBOX_BATCH_SIZE", "50")
    settings = Settings()
    assert settings.topic_prefix == "tenant-a."
    assert settings.outbox_batch_size == 50


def test_the_platform_names_for_broker_and_database_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOMEWARD_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("HOMEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db:5432/homeward")
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.database_url == "postgresql://app@db:5432/homeward"


def test_the_prefixed_name_wins_over_the_platform_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("HOMEWARD_KAFKA_BOOTSTRAP_SERVERS", "override:9092")
    assert Settings().kafka_bootstrap_servers == "override:9092"


def test_a_service_schema_defaults_to_its_name_and_can_be_overridden() -> None:
    assert Settings().schema_for("referral") == "referral"
    assert Settings(db_schema="t_abc").schema_for("referral") == "t_abc"


def test_nonsense_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_OUTBOX_BATCH_SIZE", "0")
    with pytest.raises(ValidationError, match="outbox_batch_size"):
        Settings()


def test_heartbeats_must_fit_three_times_into_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_KAFKA_SESSION_TIMEOUT_MS", "6000")
    monkeypatch.setenv("HOMEWARD_KAFKA_HEARTBEAT_INTERVAL_MS", "3000")
    with pytest.raises(ValidationError, match="at most a third of kafka_session_timeout_ms"):
        Settings()
    monkeypatch.setenv("HOMEWARD_KAFKA_HEARTBEAT_INTERVAL_MS", "2000")
    assert Settings().kafka_session_timeout_ms == 6000
