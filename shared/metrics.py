"""What every service counts, in Prometheus' terms (prometheus_client's default registry; each
service serves it on `/metrics`).

One process runs one service in production; tests run several in one process, so series carry the
service, consumer or schema they belong to.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "homeward_http_requests_total",
    "HTTP requests answered, by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "homeward_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

EVENTS_CONSUMED = Counter(
    "homeward_events_consumed_total", "Events read from a topic by a consumer", ["consumer", "topic"]
)
EVENTS_APPLIED = Counter(
    "homeward_events_applied_total",
    "Events whose effect was applied (first deliveries that committed)",
    ["consumer", "topic"],
)
EVENTS_REDELIVERED = Counter(
    "homeward_events_redelivered_total",
    "Events the inbox had already applied (a redelivery or a copy): no second effect",
    ["consumer", "topic"],
)
EVENTS_DEAD_LETTERED = Counter(
    "homeward_events_dead_lettered_total", "Messages sent to a dead-letter topic, by source topic", ["topic"]
)
CONSUMER_RETRIES = Counter(
    "homeward_consumer_retries_total",
    "Handler attempts that failed with a fault worth retrying, by topic and whether it was recognised"
    " as transient",
    ["topic", "recognised"],
)
CONSUMER_LAG = Gauge(
    "homeward_consumer_lag_records",
    "Records between a consumer group's position and the partition's end, as last seen",
    ["group", "topic", "partition"],
)

OUTBOX_PUBLISHED = Counter(
    "homeward_outbox_published_total", "Outbox rows published to Kafka by the relay", ["schema"]
)
OUTBOX_BACKLOG = Gauge("homeward_outbox_backlog_rows", "Outbox rows not yet published", ["schema"])
OUTBOX_OLDEST_AGE = Gauge(
    "homeward_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unpublished outbox row (0: none)",
    ["schema"],
)
OUTBOX_PARKED = Gauge(
    "homeward_outbox_parked_rows", "Outbox rows the relay gave up on, with their reason kept", ["schema"]
)
OUTBOX_LEADER = Gauge(
    "homeward_outbox_relay_leader", "1 while this process's relay holds its schema's leadership", ["schema"]
)

JOB_ROUNDS = Counter("homeward_job_rounds_total", "Rounds of a periodic job, by outcome", ["job", "outcome"])
