"""What every service's HTTP API adds in front of its routes (OWASP API Security Top 10, 2023):

- `BodySizeLimit` (API4, unrestricted resource consumption): a body above the limit is refused with
  413 — by its Content-Length before anything is read, or as soon as a chunked body passes it;
- `WriteRateLimit` (API4): each bearer token (or session cookie; the client address when neither is
  sent, e.g. sign-in) gets a token bucket for writes; an empty bucket answers 429 with Retry-After.
  The buckets live in this process's memory: with N replicas a client gets up to N times the rate.
  That bounds a stolen token's damage per pod; a shared store (PostgreSQL, Redis) would be needed for
  an exact cluster-wide limit;
- `SecurityHeaders` (API8, security misconfiguration): nosniff, no framing, no cross-site referrer,
  no caching of answers that may hold personal data, a same-origin Content-Security-Policy.

Refusals are problem+json like every other error answer. `install_api_security(app, settings)`
adds the three middlewares.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.settings import Settings

from .i18n import N_
from .problems import (
    PROBLEM_JSON,
    RATE_LIMITED,
    TOO_LARGE,
    VALIDATION_FAILED,
    problem_bytes,
    problem_response,
)
from .sessions import SESSION_COOKIES

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# FastAPI's interactive docs load their scripts from a CDN; they carry no data of ours
DOCS_PATHS = ("/docs", "/redoc")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


async def send_problem(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Answer below FastAPI (from an ASGI middleware) with a problem body from `problem_bytes`."""
    length = str(len(body)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", length), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusal = N_("the request body is larger than %(limit)s bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await send_problem(send, 413, problem_bytes(TOO_LARGE, self.refusal, {"limit": self.max_bytes}))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await send_problem(send, 413, problem_bytes(TOO_LARGE, self.refusal, {"limit": self.max_bytes}))


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Per-key token buckets: `capacity` at once, refilled at `per_second`. Bounded in memory: the
    least recently used keys are forgotten past `max_keys` (a forgotten key starts full again)."""

    def __init__(
        self,
        capacity: int,
        per_second: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when a write may go ahead (and one token is spent); else the seconds until one may."""
        now = self.clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.capacity), now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second


def caller_key(scope: Scope) -> str:
    """Whose bucket: a hash of the bearer token or session cookie (never the secret itself), else
    the client address."""
    headers = dict(scope["headers"])
    scheme, _, credentials = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    secret = credentials.strip() if scheme.lower() == "bearer" else ""
    if not secret:
        for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
            name, _, value = part.strip().partition("=")
            if name in SESSION_COOKIES and value:
                secret = value
    if secret:
        return "token:" + hashlib.sha256(secret.encode()).hexdigest()
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class WriteRateLimit:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITE_METHODS:
            wait = self.buckets.take(caller_key(scope))
            if wait > 0:
                retry_after = str(max(1, math.ceil(wait))).encode()
                detail = N_("too many writes with this token; retry after %(seconds)s s")
                body = problem_bytes(RATE_LIMITED, detail, {"seconds": retry_after.decode()})
                await send_problem(send, 429, body, [(b"retry-after", retry_after)])
                return
        await self.app(scope, receive, send)


def security_headers(path: str) -> dict[bytes, bytes]:
    """The headers every answer to `path` carries (`SecurityHeaders` adds those a route did not
    set; the in-flight limit's refusal, answered in front of it, carries them all)."""
    added = {
        b"x-content-type-options": b"nosniff",
        b"x-frame-options": b"DENY",
        # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form
        # posts, which the page's same-origin check (rightly) refuses
        b"referrer-policy": b"same-origin",
        b"cross-origin-opener-policy": b"same-origin",
    }
    if not path.startswith("/static/"):  # answers hold personal data: no shared or browser cache
        added[b"cache-control"] = b"no-store"
    if not path.startswith(DOCS_PATHS):
        added[b"content-security-policy"] = CONTENT_SECURITY_POLICY.encode()
    return added


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: MutableMapping[bytes, bytes] = dict(message.get("headers", []))
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in added.items() if k not in headers
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


async def text_postgres_refuses(_: Request, error: Exception) -> JSONResponse:
    """A NUL character (or text PostgreSQL cannot store) in a parameter or body reached the
    database: the request is at fault, and the transaction it was in has rolled back."""
    return problem_response(
        VALIDATION_FAILED,
        "the request holds a character that cannot be stored (e.g. NUL); nothing was changed",
    )


def install_api_security(app: Any, settings: Settings) -> None:
    """Add the middlewares to a FastAPI/Starlette app; the last added runs first, so the headers
    reach 413 and 429 answers too."""
    buckets = TokenBuckets(settings.api_write_burst, settings.api_writes_per_minute / 60)
    app.add_middleware(WriteRateLimit, buckets=buckets)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(SecurityHeaders)
    for refused in (asyncpg.CharacterNotInRepertoireError, asyncpg.UntranslatableCharacterError):
        app.add_exception_handler(refused, text_postgres_refuses)
