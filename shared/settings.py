"""Configuration from the environment (prefix `HOMEWARD_`), the same way for every service.

`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are also read without the prefix: they are the names
docker-compose, Kubernetes and most hosting platforms already use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEWARD_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("HOMEWARD_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:15432/homeward",
        validation_alias=AliasChoices("HOMEWARD_DATABASE_URL", "DATABASE_URL"),
    )
    # How clients authenticate to the brokers (deploy/k8s/settings.env): PLAINTEXT on the local
    # broker's loopback listener; SASL_SSL with SCRAM-SHA-512 in production, verifying the brokers
    # with the CA in `kafka_ssl_cafile`; SASL_PLAINTEXT on the local secured listener.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    # Consumer group membership (shared.kafka.broker, every subscriber of the process). An instance id
    # makes each consumer a static member (KIP-345): a replica that comes back under the same id within
    # the session timeout takes its partitions back without a rebalance of the whole group, and its
    # restart does not wait for one. The id must be unique per replica and outlive its restarts (a
    # StatefulSet's pod name; a Deployment's pod name outlives a container restart, not a rollout).
    # A static member does not leave its group when it stops: its partitions wait for the session
    # timeout. Unset: dynamic members, which leave when they stop and rejoin as new ones. A replica
    # that dies is noticed after the session timeout; heartbeats every interval (at most a third).
    kafka_group_instance_id: str | None = Field(default=None, min_length=1, max_length=200)
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=1_800_000)
    kafka_heartbeat_interval_ms: int = Field(default=3_000, ge=100)
    # Copies of each topic the services create (shared.topics); unset: the cluster's
    # default.replication.factor. min.insync.replicas follows (2 from three copies up).
    kafka_topic_replication: int | None = Field(default=None, ge=1)
    # Prepended to every topic name: tests isolate themselves with it, and so can tenants.
    topic_prefix: str = ""
    # The PostgreSQL schema a service keeps its tables in; defaults to the service's name.
    db_schema: str | None = None
    # Tokens and roles (shared.identity) live in a schema of their own that every service's API reads.
    identity_schema: str = "identity"
    # Data files: partners.yaml, donor-policies.yaml, municipalities.yaml.
    config_dir: Path = Path(__file__).resolve().parents[1] / "deploy" / "config"
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)

    # OpenTelemetry traces go to this OTLP/HTTP collector (e.g. http://otel-collector:4318); none: off
    otlp_endpoint: str | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    # The outbox relay (shared.outbox): rows per batch; how often it looks without a NOTIFY; how many
    # times the broker may refuse a row (unknown topic, too large, not authorised) before it is parked;
    # how long it waits for a topic it does not know to appear; how long a stopping relay may take to
    # finish its batch (then it is cancelled, and the batch is published again by the next leader);
    # how often the backlog gauges are refreshed.
    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    outbox_max_attempts: int = Field(default=5, ge=1)
    outbox_topic_wait_s: float = Field(default=5.0, gt=0)
    outbox_stop_timeout_s: float = Field(default=10.0, gt=0)
    outbox_metrics_interval_s: float = Field(default=15.0, gt=0)

    # Retention (shared.retention): sent outbox rows and inbox rows are deleted after these many days,
    # every `retention_interval_s`, `retention_batch_rows` per transaction. The inbox must outlive any
    # redelivery: keep it at least as long as the longest retention of a consumed topic (30 days).
    outbox_retention_days: float = Field(default=7.0, gt=0)
    inbox_retention_days: float = Field(default=30.0, gt=0)
    retention_interval_s: float = Field(default=600.0, gt=0)
    retention_batch_rows: int = Field(default=1000, ge=1, le=100_000)

    # Consumers (shared.kafka.consuming): a failed attempt at a message that is not poison is retried
    # in-process this many times, waiting from the initial backoff doubling up to the maximum, then the
    # message is read again and the attempts start over.
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_backoff_initial_s: float = Field(default=0.2, gt=0)
    consumer_backoff_max_s: float = Field(default=5.0, gt=0)

    # HTTP API limits (shared.http.security): bodies above this are refused with 413 before they are
    # read whole; each token may make `api_write_burst` writes at once, refilled at
    # `api_writes_per_minute` (429 with Retry-After past that).
    api_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    api_writes_per_minute: float = Field(default=300.0, gt=0)
    api_write_burst: int = Field(default=60, ge=1)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # whose X-Forwarded-For/-Proto headers are believed (the ingress or reverse proxy), comma-separated
    forwarded_allow_ips: str = "127.0.0.1"
    # on SIGTERM: how long requests in flight may take before the service stops anyway
    shutdown_grace_s: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _heartbeats_within_the_session(self) -> Settings:
        if self.kafka_heartbeat_interval_ms * 3 > self.kafka_session_timeout_ms:
            raise ValueError(
                "kafka_heartbeat_interval_ms must be at most a third of kafka_session_timeout_ms, or a"
                " heartbeat or two lost would end the session"
            )
        return self

    def schema_for(self, service: str) -> str:
        return self.db_schema or service
