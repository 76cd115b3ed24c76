"""Overload is answered, not dropped: past what a process can serve, a request is answered at once
with 503, `Retry-After` and a problem body, rather than queueing until its caller times out or the
kernel resets its connection.

- `InFlightLimit`: at most `HOMEWARD_HTTP_MAX_IN_FLIGHT` requests inside the app at once; the next is
  refused before any of it runs (nothing is read, nothing written). `/healthz`, `/readyz` and
  `/metrics` are never refused: a liveness probe must not fail, and a pod must not be restarted,
  because its API is busy. It sits in front of the whole app, FastAPI's own layers included
  (`ServiceApp`): a refusal through the full stack (request context, span, log line, security
  middlewares, FastAPI's) cost ~250 µs of CPU, in front of it ~15 µs — an overloaded process must
  not spend its CPU on saying no. So a refusal is not one log line each: `homeward_http_overload_
  refusals_total` counts them, and a warning says at most once per `LOG_EVERY_S` how many there were.
- `Overloaded` (`shared.db`): a request that waited `HOMEWARD_DB_ACQUIRE_TIMEOUT_MS` for a database
  connection gets the same answer, through the exception handlers (its transaction never began, so
  nothing was written). Only requests wait within that deadline (`shared.db.bounded_waits`, set
  here); the outbox relay, consumers and jobs keep their place in the pool's queue.

uvicorn's own `limit_concurrency` was not used: it counts idle keep-alive connections too, answers
plain text without Retry-After, and refuses health checks alike. No maintained ASGI middleware
limits requests in flight (those on PyPI limit a rate per client, which `WriteRateLimit` does).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.db import Overloaded, bounded_waits
from shared.events import uuid7
from shared.metrics import HTTP_IN_FLIGHT, HTTP_REFUSED_OVERLOAD

from . import i18n
from .context import CORRELATION_HEADER
from .i18n import N_
from .problems import UNAVAILABLE, language_of_request, problem_response
from .security import security_headers, send_problem

# whole seconds (RFC 9110 §10.2.3): a refused request may come back at once, when a slot is free
RETRY_AFTER_S = 1
LOG_EVERY_S = 1.0
ALWAYS_ANSWERED = ("/healthz", "/readyz", "/metrics")
BUSY = N_("the service is at its limit of requests in flight; retry after %(seconds)s s")
POOL_BUSY = N_("no database connection came free in time; nothing was changed; retry after %(seconds)s s")
log = structlog.get_logger("shared.http.overload")

# `SecurityHeaders`' own (the refusal is answered in front of it), as for any API path
_REFUSAL_HEADERS = [(b"retry-after", str(RETRY_AFTER_S).encode()), *security_headers("/v1").items()]


class InFlightLimit:
    def __init__(
        self, app: ASGIApp, *, limit: int, service: str, exempt: Iterable[str] = ALWAYS_ANSWERED
    ) -> None:
        self.app = app
        self.limit = limit
        self.service = service
        self.exempt = frozenset(exempt)
        self.in_flight = 0  # one event loop per process: a plain counter is exact
        self._gauge = HTTP_IN_FLIGHT.labels(service)
        self._refused = HTTP_REFUSED_OVERLOAD.labels(service, "in_flight")
        self._unlogged = 0
        self._logged_at = 0.0
        # the body's fixed part in each language, made once
        self._bodies = {
            lang: {
                "type": UNAVAILABLE.uri,
                "title": i18n.gettext(lang, UNAVAILABLE.title),
                "status": UNAVAILABLE.status,
                "detail": i18n.gettext(lang, BUSY, seconds=RETRY_AFTER_S),
            }
            for lang in i18n.LANGUAGES
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # every HTTP request, readiness too, waits for a database connection within the deadline
        bounded = bounded_waits.set(True)
        try:
            if self.in_flight >= self.limit and scope["path"] not in self.exempt:
                await self._refuse(scope, send)
                return
            self.in_flight += 1
            self._gauge.set(self.in_flight)
            try:
                await self.app(scope, receive, send)
            finally:
                self.in_flight -= 1
                self._gauge.set(self.in_flight)
        finally:
            bounded_waits.reset(bounded)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        self._refused.inc()
        headers = dict(scope["headers"])
        correlation = _uuid(headers.get(CORRELATION_HEADER.encode(), b"")) or uuid7()
        lang = i18n.from_accept_language(headers.get(b"accept-language", b"").decode("latin-1"))
        body = json.dumps(
            {**self._bodies[lang or i18n.DEFAULT_LANGUAGE], "instance": f"urn:uuid:{correlation}"}
        ).encode()
        await send_problem(
            send, 503, body, [*_REFUSAL_HEADERS, (CORRELATION_HEADER.encode(), str(correlation).encode())]
        )
        self._say_now_and_then()

    def _say_now_and_then(self) -> None:
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            log.warning(
                "refusing requests: at the limit of requests in flight",
                refused=self._unlogged,
                limit=self.limit,
                since_s=round(now - self._logged_at, 1) if self._logged_at else None,
            )
            self._unlogged, self._logged_at = 0, now


def _uuid(value: bytes) -> UUID | None:
    try:
        return UUID(value.decode("latin-1")) if value else None
    except ValueError:
        return None


class ServiceApp(FastAPI):
    """FastAPI with the in-flight limit in front of everything it does (see the module)."""

    in_flight_limit: InFlightLimit | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.in_flight_limit is None:
            await super().__call__(scope, receive, send)
        else:
            await self.in_flight_limit(scope, receive, send)

    async def _unlimited(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def install_overload(app: ServiceApp, *, limit: int, service: str) -> None:
    """The in-flight limit, in front of the whole app, and the pool's 503."""
    app.in_flight_limit = InFlightLimit(app._unlimited, limit=limit, service=service)
    refused_pool = HTTP_REFUSED_OVERLOAD.labels(service, "database_pool")

    async def on_overloaded(request: Request, error: Exception) -> JSONResponse:
        refused_pool.inc()
        return problem_response(
            UNAVAILABLE,
            POOL_BUSY,
            variables={"seconds": RETRY_AFTER_S},
            headers={"Retry-After": str(RETRY_AFTER_S)},
            lang=language_of_request(request),
        )

    app.add_exception_handler(Overloaded, on_overloaded)
