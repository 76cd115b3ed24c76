"""The request context every service keeps: a correlation id per request (the caller's
`X-Correlation-ID`, or a new one) that events it causes carry, log lines name and the answer
echoes; the language of its error answers (Accept-Language, `shared.http.problems`); one log line
per request (method, route, status, time — never the query string: a search holds names); and the
request counters `/metrics` serves."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import structlog
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.events import uuid7
from shared.events.envelope import current_correlation_id
from shared.http.i18n import DEFAULT_LANGUAGE, from_accept_language
from shared.http.problems import answer_language
from shared.metrics import HTTP_DURATION, HTTP_REQUESTS
from shared.tracing import context_from, tracer

CORRELATION_HEADER = "x-correlation-id"
access_log = structlog.get_logger("shared.http.access")


def route_of(scope: Scope) -> str:
    """The route's template (`/v1/cases/{case_id}`), not the path: one series per route, no ids."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "unmatched"


class RequestContext:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        correlation = _uuid(headers.get(CORRELATION_HEADER, "")) or uuid7()
        token = current_correlation_id.set(correlation)
        language = answer_language.set(
            from_accept_language(headers.get("accept-language")) or DEFAULT_LANGUAGE
        )
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (CORRELATION_HEADER.encode(), str(correlation).encode()),
                ]
            await send(message)

        span_attributes = {
            "http.request.method": scope["method"],
            "homeward.correlation_id": str(correlation),
        }
        try:
            with (
                structlog.contextvars.bound_contextvars(correlation_id=str(correlation)),
                tracer.start_as_current_span(
                    scope["method"],
                    context=context_from(headers),
                    kind=SpanKind.SERVER,
                    attributes=span_attributes,
                ) as span,
            ):
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    answered = status[0] if status else 500
                    route = route_of(scope)
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", answered)
                    if answered >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    self._account(scope, answered, time.perf_counter() - started)
        finally:
            current_correlation_id.reset(token)
            answer_language.reset(language)

    def _account(self, scope: Scope, status: int, seconds: float) -> None:
        route, method = route_of(scope), scope["method"]
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_DURATION.labels(self.service, method, route).observe(seconds)
        access_log.info(
            "request",
            method=method,
            route=route,
            path=scope["path"],
            status=status,
            duration_ms=round(seconds * 1000, 1),
        )


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
