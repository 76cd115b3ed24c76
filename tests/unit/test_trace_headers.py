"""`current_trace`: the trace headers an outbox row carries are the current span's, whichever span
that is now (they are worked out once per context and reused while it lasts)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from shared.tracing import current_trace


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
