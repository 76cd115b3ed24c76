"""Configuration from the environment (prefix `HOMEWARD_`), the same way for every service.

`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are also read without the prefix: they are the names
docker-compose, Kubernetes and most hosting platforms already use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

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
    # Least privilege (shared/db_roles.py): the owner role migrations run as, when it is not the
    # DATABASE_URL's (production: DATABASE_URL is the service's own role); or, with one URL, the role
    # the service runs as (`{service}` is its name; the local launcher and the tests), and its
    # password when the server asks for one.
    migration_database_url: str | None = None
    db_runtime_role: str | None = None
    db_runtime_password: SecretStr | None = None
    # Apply migrations and privileges at start-up; off where an init container does it (`homeward
    # <service> migrate`) so that the service never holds the owner's password.
    migrate_on_start: bool = True
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
    # Overload (shared.http.overload): an HTTP request waits at most this long for a free database
    # connection, then it is answered 503 with Retry-After instead of queueing until its caller gives
    # up (the relay, consumers and jobs wait their turn). A backstop for a slow database: under
    # ordinary overload the in-flight limit refuses first (its queue for the pool is short). Below
    # the 5 s many clients wait, above what a busy but healthy database makes a request wait.
    db_acquire_timeout_ms: int = Field(default=2_000, ge=1)

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

    # People (shared.identity, shared.http.sessions): a server-side session ends after this long
    # without a request, and after `session_lifetime_s` whatever happens. `behind_tls`: the
    # deployment is served over HTTPS (an ingress terminating TLS counts), so the session cookie is
    # `Secure` (and named with the `__Host-` prefix, which browsers bind to this host over HTTPS).
    session_idle_timeout_s: float = Field(default=30 * 60, gt=0)
    session_lifetime_s: float = Field(default=12 * 60 * 60, gt=0)
    behind_tls: bool = False
    # Passwords: the shortest allowed (NIST SP 800-63B asks 15 when the password is the only
    # factor), and argon2id's cost (RFC 9106's second recommended profile; lower it in tests only).
    password_min_length: int = Field(default=15, ge=8, le=64)
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)
    # Failed sign-ins: this many per account name (and per client address: offices share one) are
    # free; each next one waits twice as long as the last, from the initial delay up to the maximum.
    # Failures older than the window are forgotten.
    sign_in_free_failures_per_account: int = Field(default=5, ge=1)
    sign_in_free_failures_per_address: int = Field(default=20, ge=1)
    sign_in_delay_initial_s: float = Field(default=2.0, gt=0)
    sign_in_delay_max_s: float = Field(default=15 * 60, gt=0)
    sign_in_failure_window_s: float = Field(default=60 * 60, gt=0)
    # API tokens (machines and scripts) expire after this many days unless the shell asks for more.
    api_token_days: int = Field(default=90, ge=1, le=3650)
    # Verified API tokens are kept in memory (shared.identity.verified): a revocation or a change of
    # role or scope ends them at once in every process (PostgreSQL LISTEN/NOTIFY); this long at
    # most in any case (the safety net should a notice be missed), 0 to read every request's token
    # from the database; at most `token_cache_size` tokens per process.
    token_cache_seconds: float = Field(default=30.0, ge=0, le=3600)
    token_cache_size: int = Field(default=10_000, ge=1)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # Overload (shared.http.overload): at most this many API requests in flight per process; the next
    # is answered at once with 503 and Retry-After (health, readiness and metrics are never refused).
    # Sized for the pool: a few requests per connection wait their turn, each at most
    # `db_acquire_timeout_ms`; more would only queue for longer than a client waits.
    http_max_in_flight: int = Field(default=64, ge=1)
    # Connections the kernel queues before the process accepts them (capped by net.core.somaxconn): a
    # burst of new connections waits there instead of being reset.
    http_backlog: int = Field(default=2048, ge=64)
    # An idle keep-alive connection is closed after this long. Clients and proxies must drop theirs
    # sooner (a request sent as the server closes is lost to the client as a reset).
    http_keep_alive_s: int = Field(default=5, ge=1)
    # where each service's pages are, as a browser reaches them: pages link to each other's (the
    # session cookie is one for the host); HOMEWARD_PAGE_URLS='{"grants": "https://…"}' behind a proxy
    page_urls: dict[str, str] = Field(
        default_factory=lambda: {
            "intake": "http://127.0.0.1:8001",
            "referral": "http://127.0.0.1:8002",
            "grants": "http://127.0.0.1:8003",
            "reporting": "http://127.0.0.1:8004",
        }
    )
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

    def owner_url(self) -> str:
        """Where migrations and privileges are applied from."""
        return self.migration_database_url or self.database_url

    def runtime_role(self, service: str) -> str | None:
        """The role `service` runs as, if it is not the owner (None: it runs as the owner)."""
        if self.db_runtime_role:
            return self.db_runtime_role.format(service=service)
        if self.migration_database_url:
            return urlsplit(self.database_url).username
        return None

    def runtime_url(self, service: str) -> str:
        """What `service`'s pool connects to."""
        if not self.db_runtime_role:
            return self.database_url
        password = self.db_runtime_password.get_secret_value() if self.db_runtime_password else None
        return _as_user(self.database_url, self.db_runtime_role.format(service=service), password)


def _as_user(dsn: str, user: str, password: str | None) -> str:
    """`dsn` logging in as `user` (with `password`, or none: a server that trusts the login)."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    netloc = f"{credentials}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
