"""The demo's way into the system: the four services' HTTP APIs, with a bearer token per call.

A call that could not even connect is retried a few times (nothing was sent, so nothing can be
done twice); any other failure is an `ApiError` naming the call and the service's answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

SERVICES = ("intake", "referral", "grants", "reporting")


class ApiError(Exception):
    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {url} answered {status}: {body[:300]}")


class SystemNotRunning(Exception):
    """A service does not answer, or answers that it is not ready."""


@dataclass(frozen=True)
class Endpoints:
    intake: str
    referral: str
    grants: str
    reporting: str = "http://127.0.0.1:8004"

    def url(self, service: str) -> str:
        return str(getattr(self, service)).rstrip("/")


class Api:
    def __init__(self, endpoints: Endpoints, *, timeout_s: float = 20.0, connections: int = 32) -> None:
        self.endpoints = endpoints
        self.http = httpx.AsyncClient(
            timeout=timeout_s,
            # an idle connection is dropped before uvicorn's own 5 s keep-alive closes it: at equal
            # times a request could go out on a connection the server was closing (ReadError)
            limits=httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0
            ),
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def check_ready(self) -> None:
        """Raise SystemNotRunning with what to do when a service is absent or not ready."""
        for service in SERVICES:
            url = f"{self.endpoints.url(service)}/readyz"
            try:
                response = await self.http.get(url, timeout=5.0)
            except httpx.TransportError:
                raise SystemNotRunning(
                    f"nothing answers at {self.endpoints.url(service)} ({service}). Start the system first"
                    " (`make run` in another terminal), or point the demo at it with"
                    f" --{service} URL."
                ) from None
            if response.status_code != 200:
                answer = response.text.strip()[:200]
                raise SystemNotRunning(
                    f"{service} at {self.endpoints.url(service)} is not ready ({answer});"
                    " its database or broker does not answer"
                )

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        token: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        accept: tuple[int, ...] = (200, 201),
    ) -> Any:
        """The JSON answer; ApiError for a status not in `accept`."""
        url = f"{self.endpoints.url(service)}{path}"
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        connect_failures = throttled = 0
        while True:
            try:
                response = await self.http.request(method, url, json=json, params=params, headers=all_headers)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                connect_failures += 1
                if connect_failures > 3:
                    raise
                await asyncio.sleep(0.5 * 2**connect_failures)
                continue
            if response.status_code in (429, 503) and "retry-after" in response.headers and throttled < 20:
                # a rate limit, and a service at its limit (shared.http.overload), refuse before doing
                # anything: wait as asked, then ask again
                throttled += 1
                await asyncio.sleep(min(10.0, float(response.headers.get("retry-after", "1") or 1)))
                continue
            break
        if response.status_code not in accept:
            raise ApiError(method, url, response.status_code, response.text)
        return response.json() if response.content else None

    async def get(self, service: str, path: str, token: str, **params: Any) -> Any:
        return await self.call(
            "GET", service, path, token, params={k: v for k, v in params.items() if v is not None}
        )
