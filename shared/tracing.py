"""OpenTelemetry tracing with W3C trace context, carried from an HTTP request through the outbox
row and the Kafka headers into every consumer and on: one registration's trace shows the referrals
it caused; one plan approval's trace shows its grant and installments.

- `RequestContext` (shared.http.context) opens a SERVER span per request, continuing the caller's
  `traceparent` when one is sent;
- `shared.outbox.append` stores the current context's `traceparent`/`tracestate` with the row's
  headers, and the relay publishes them as Kafka headers;
- a consumer opens a CONSUMER span per message (`consuming`), a child of the context the message
  carries, so what it appends to its own outbox continues the same trace.

Each HTTP request keeps its own correlation id (a span attribute); the trace links them. Spans are
exported over OTLP/HTTP only when `HOMEWARD_OTLP_ENDPOINT` is set (off by default); tests install
a provider with an in-memory exporter (`install_provider`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context, get_current
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Span, SpanKind

TRACE_HEADERS = ("traceparent", "tracestate")
tracer = trace.get_tracer("homeward")


def install_provider(service: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """Make this process's spans go to `processor`. Called once per process; OpenTelemetry keeps the
    first provider installed and ignores later ones."""
    provider = tracer_provider(service, processor)
    trace.set_tracer_provider(provider)
    return provider


def tracer_provider(service: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """The provider `install_provider` installs.

    With no processor nothing would read a span, so none is recorded (the ALWAYS_OFF sampler): each
    span is then only its ids, still propagated through the outbox and Kafka headers and logged,
    without the attributes, timings and processor calls a recorded one costs (~8 % of a
    registration's CPU in the profile)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"homeward-{service}"}),
        sampler=ALWAYS_OFF if processor is None else None,
    )
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def configure_tracing(service: str, otlp_endpoint: str | None) -> None:
    """The service's start: spans are exported over OTLP/HTTP when an endpoint is set."""
    processor: SpanProcessor | None = None
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces"))
    install_provider(service, processor)


def inject_context(carrier: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` (and `tracestate`) to `carrier`."""
    propagate.inject(carrier)


def current_trace() -> dict[str, str]:
    """The current span's trace headers, for work that is written later (a buffered outbox row).

    A consumer appends several outbox rows under one message's span: the headers are worked out
    once per context (OpenTelemetry's context is immutable, a new span attaches a new one) and
    copied for each caller."""
    global _last_trace
    now = get_current()
    last = _last_trace
    if last is None or last[0] is not now:
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=now)
        # the context is held here, so its identity cannot be taken over by another one
        last = _last_trace = (now, carrier)
    return dict(last[1])


_last_trace: tuple[Context, dict[str, str]] | None = None


def context_from(headers: Mapping[str, str]) -> Context:
    """The trace context a message or request carries (an empty one when it carries none)."""
    return propagate.extract({k: v for k, v in headers.items() if k in TRACE_HEADERS})


def trace_headers(headers: Any) -> dict[str, str]:
    """The trace headers of a Kafka record (`[(name, bytes)]`) as text."""
    found: dict[str, str] = {}
    for name, value in headers or ():
        if name in TRACE_HEADERS:
            found[name] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return found


@contextmanager
def consuming(
    topic: str,
    headers: Mapping[str, str],
    *,
    consumer: str | None = None,
    event_id: str | None = None,
    event_type: str | None = None,
) -> Iterator[Span]:
    """The span of one consumed message, a child of the context it carries."""
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
    }
    if consumer:
        attributes["messaging.consumer.group.name"] = consumer
    if event_id:
        attributes["messaging.message.id"] = event_id
    if event_type:
        attributes["homeward.event_type"] = event_type
    with tracer.start_as_current_span(
        f"process {topic}", context=context_from(headers), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


# The trace headers of each message of the batch being handled, by event id: a batch handler applies
# many messages in one transaction, and opens each one's span (`message_span`) as it applies it.
_batch_carriers: ContextVar[Mapping[str, Mapping[str, str]] | None] = ContextVar(
    "batch_carriers", default=None
)


@contextmanager
def batch_of(records: Iterable[Any]) -> Iterator[None]:
    """While a batch of Kafka records is handled: remember each one's trace headers by event id."""
    carriers: dict[str, Mapping[str, str]] = {}
    for record in records:
        headers = dict(record.headers or ())
        event_id = headers.get("event_id")
        if event_id is not None:
            carriers[event_id.decode(errors="replace")] = trace_headers(record.headers)
    token = _batch_carriers.set(carriers)
    try:
        yield
    finally:
        _batch_carriers.reset(token)


@contextmanager
def message_span(topic: str, event_id: Any, event_type: str) -> Iterator[Span]:
    """The span of one message of a batch, a child of the context the message carried."""
    headers = (_batch_carriers.get() or {}).get(str(event_id), {})
    with consuming(topic, headers, event_id=str(event_id), event_type=event_type) as span:
        yield span
