"""`current_trace`: the trace headers an outbox row carries are the current span's, whichever span
that is now (they are worked out once per context and reused while it lasts)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.tracing import context_from, current_trace, tracer_provider


def test_the_trace_headers_follow_the_current_span_in_and_out() -> None:
    tracer = TracerProvider().get_tracer("test")
    assert "traceparent" not in current_trace()  # no span: nothing to carry on
    with tracer.start_as_current_span("message") as outer:
        first = current_trace()
        first["traceparent"] = "changed by its caller"  # a copy: the next caller is not affected
        again = current_trace()
        with tracer.start_as_current_span("child") as inner:
            nested = current_trace()
        after = current_trace()
    outer_id = format(outer.get_span_context().span_id, "016x")
    inner_id = format(inner.get_span_context().span_id, "016x")
    assert again["traceparent"].split("-")[2] == outer_id
    assert nested["traceparent"].split("-")[2] == inner_id
    assert after == again
    assert "traceparent" not in current_trace()


def test_with_nothing_to_export_spans_are_not_recorded_but_their_trace_still_travels() -> None:
    tracer = tracer_provider("test").get_tracer("test")
    with tracer.start_as_current_span("request") as request:
        carried = current_trace()
        with tracer.start_as_current_span("message", context=context_from(carried)) as message:
            pass
    assert not request.is_recording()
    assert not message.is_recording()
    trace_id = format(request.get_span_context().trace_id, "032x")
    assert carried["traceparent"].split("-")[1] == trace_id
    assert format(message.get_span_context().trace_id, "032x") == trace_id  # one trace, end to end


def test_with_a_processor_spans_are_recorded() -> None:
    exported = InMemorySpanExporter()
    tracer = tracer_provider("test", SimpleSpanProcessor(exported)).get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        assert span.is_recording()
    assert [s.name for s in exported.get_finished_spans()] == ["request"]
