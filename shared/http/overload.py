"""Overload is answered, not dropped: past what a process can serve, a request is answered at once
with 503, `Retry-After` and a problem body, rather than queueing until its caller times out or the
kernel resets its connection.

- `InFlightLimit`: at most `HOMEWARD_HTTP_MAX_IN_FLIGHT` requests inside the app at once; the next is
  refused before any of it runs (nothing is read, nothing written). `/healthz`, `/readyz` and
  `/metrics` are never refused: a liveness probe must not fail, and a pod must not be restarted,
  because its API is busy.
- `Overloaded` (`shared.db`): a request that waited `HOMEWARD_DB_ACQUIRE_TIMEOUT_MS` for a database
  connection gets the same answer (its transaction never began, so nothing was written). Only
  requests wait within that deadline (`shared.db.bounded_waits`, set here); the outbox relay,
  consumers and jobs keep their place in the pool's queue.

uvicorn's own `limit_concurrency` was not used: it counts idle keep-alive connections too, answers
plain text without Retry-After, and refuses health checks alike. No maintained ASGI middleware
limits requests in flight (those on PyPI limit a rate per client, which `WriteRateLimit` does).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.db import Overloaded, bounded_waits
from shared.metrics import HTTP_IN_FLIGHT, HTTP_REFUSED_OVERLOAD

from .i18n import N_
from .problems import UNAVAILABLE, language_of_request, problem_bytes, problem_response
from .security import send_problem

# whole seconds (RFC 9110 §10.2.3): a refused request may come back at once, when a slot is free
RETRY_AFTER_S = 1
ALWAYS_ANSWERED = ("/healthz", "/readyz", "/metrics")
BUSY = N_("the service is at its limit of requests in flight; retry after %(seconds)s s")
POOL_BUSY = N_("no database connection came free in time; nothing was changed; retry after %(seconds)s s")


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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # every HTTP request, readiness too, waits for a database connection within the deadline
        bounded = bounded_waits.set(True)
        try:
            await self._limited(scope, receive, send)
        finally:
            bounded_waits.reset(bounded)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self._refused.inc()
            body = problem_bytes(UNAVAILABLE, BUSY, {"seconds": RETRY_AFTER_S})
            await send_problem(send, 503, body, [(b"retry-after", str(RETRY_AFTER_S).encode())])
            return
        self.in_flight += 1
        self._gauge.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self._gauge.set(self.in_flight)


def install_overload(app: FastAPI, *, limit: int, service: str) -> None:
    """The in-flight limit (added first, so it runs last: after the request context, the security
    headers, the body and write-rate limits, right in front of the routes) and the pool's 503."""
    app.add_middleware(InFlightLimit, limit=limit, service=service)
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
