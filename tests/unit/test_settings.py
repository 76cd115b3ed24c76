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


def test_with_one_url_a_service_runs_as_its_own_role_and_migrates_as_the_owner() -> None:
    settings = Settings(
        database_url="postgresql://postgres@db:5432/homeward", db_runtime_role="homeward_{service}"
    )
    assert settings.owner_url() == "postgresql://postgres@db:5432/homeward"
    assert settings.runtime_role("grants") == "homeward_grants"
    assert settings.runtime_url("grants") == "postgresql://homeward_grants@db:5432/homeward"


def test_in_production_the_service_holds_its_own_url_and_the_owner_is_separate() -> None:
    settings = Settings(
        database_url="postgresql://homeward_grants:s3cret@db:5432/homeward?sslmode=require",
        migration_database_url="postgresql://homeward_owner:0wner@db:5432/homeward?sslmode=require",
    )
    assert settings.runtime_role("grants") == "homeward_grants"
    assert settings.runtime_url("grants") == settings.database_url
    assert settings.owner_url() == settings.migration_database_url


def test_a_runtime_password_is_quoted_into_the_url() -> None:
    settings = Settings(
        database_url="postgresql://postgres@db/homeward",
        db_runtime_role="homeward_{service}",
        db_runtime_password="p@ss/word",
    )
    assert settings.runtime_url("intake") == "postgresql://homeward_intake:p%40ss%2Fword@db/homeward"


def test_without_a_runtime_role_the_service_runs_as_the_owner() -> None:
    settings = Settings(database_url="postgresql://postgres@db/homeward")
    assert settings.runtime_role("intake") is None
    assert settings.runtime_url("intake") == settings.owner_url()
