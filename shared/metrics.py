"""What every service counts, in Prometheus' terms (prometheus_client's default registry; each
service serves it on `/metrics`).

One process runs one service in production; tests run several in one process, so series carry the
service, consumer or schema they belong to.
"""

from __future__ import annotations

import re

from prometheus_client import Counter, Gauge, Histogram

# A partner's own answer topic (`referral.responses.<partner_id>.v1`) names the partner. `/metrics`
# is read without signing in, and a series per partner would move as that partner answers: read
# beside a referral's status changing at the same moment, it would tell which partner holds the
# case — and a specialised partner's id tells the case's vulnerability (DESIGN rule 7). So every
# series names every partner's answer topic alike, as `referral.responses.<partner>.v1`; which
# partner sent what stays in the logs (operators only) and in Kafka's own exporter.
_PARTNER_ANSWER_TOPIC = re.compile(r"(referral\.responses\.)[a-z0-9][a-z0-9-]{1,62}(\.v[0-9]+)$")
PARTNER_ANSWERS_LABEL = "<partner>"


def topic_label(topic: str) -> str:
    """The `topic` label of a series about records read from `topic`."""
    return _PARTNER_ANSWER_TOPIC.sub(rf"\g<1>{PARTNER_ANSWERS_LABEL}\g<2>", topic)


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
HTTP_REFUSED_OVERLOAD = Counter(
    "homeward_http_overload_refusals_total",
    "Requests answered 503 because the process was at its limit: `in_flight` (HOMEWARD_HTTP_MAX_IN_FLIGHT)"
    " or `database_pool` (no connection within HOMEWARD_DB_ACQUIRE_TIMEOUT_MS)",
    ["service", "reason"],
)
HTTP_IN_FLIGHT = Gauge("homeward_http_requests_in_flight", "API requests being answered now", ["service"])

# Consuming. `group` is the Kafka consumer group (what the broker middleware sees), `consumer` the
# inbox consumer name (what `apply_once`/`apply_batch` record events under).
EVENTS_CONSUMED = Counter(
    "homeward_events_consumed_total",
    "Records handed to a subscriber, counted per delivery (a record read again after a fault counts again)",
    ["group", "topic"],
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
    "homeward_events_dead_lettered_total",
    "Messages sent to a dead-letter topic, by consumer group and source topic",
    ["group", "topic"],
)
CONSUMER_RETRIES = Counter(
    "homeward_consumer_retries_total",
    "Failed attempts at a message that will be tried again, by kind of fault: `transient` (database or"
    " broker away), `unrecognised` (neither transient nor poison: an alert), `dead-letter-publish`"
    " (poison whose dead letter could not be published: an alert)",
    ["group", "topic", "fault"],
)
CONSUMER_LAG = Gauge(
    "homeward_consumer_lag_records",
    "Records between a consumer group's position and the partition's end, as last seen by this process",
    ["group", "topic", "partition"],
)

# The outbox relay, per schema (one service's outbox).
OUTBOX_PUBLISHED = Counter(
    "homeward_outbox_published_total", "Outbox rows published to Kafka by the relay", ["schema"]
)
OUTBOX_BACKLOG = Gauge(
    "homeward_outbox_backlog_rows",
    "Outbox rows waiting to be published (parked rows not counted)",
    ["schema"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "homeward_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row waiting to be published (0: none)",
    ["schema"],
)
OUTBOX_PARKED = Gauge(
    "homeward_outbox_parked_rows",
    "Outbox rows the relay gave up on, their reason kept; each holds back the later rows of its key",
    ["schema"],
)
OUTBOX_LEADER = Gauge(
    "homeward_outbox_relay_leader", "1 while this process's relay holds its schema's leadership", ["schema"]
)
RETENTION_PRUNED = Counter(
    "homeward_retention_pruned_rows_total",
    "Rows deleted after their retention period: sent outbox rows and old inbox rows",
    ["schema", "table"],
)

JOB_ROUNDS = Counter("homeward_job_rounds_total", "Rounds of a periodic job, by outcome", ["job", "outcome"])
