"""Overload is answered, not dropped (issue 16, point 0): past its limit of requests in flight a
service answers at once with 503, Retry-After and a problem body, before the route runs; its
health, readiness and metrics still answer. The requests are held inside the app with an event,
not timed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared.http import i18n
from shared.http.health import set_readiness
from shared.http.overload import BUSY
from shared.http.problems import PROBLEM_JSON
from shared.http.service import service_app
from shared.settings import Settings

# a guard against a hang, never a synchronisation: without the limit the third request waits for
# the held ones and this expires
ANSWER_WITHIN_S = 5.0


class Held:
    """A route that stays in flight until released; says when `expected` requests are inside."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.entered = 0
        self.all_inside = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> dict[str, int]:
        self.entered += 1
        if self.entered >= self.expected:
            self.all_inside.set()
        await self.release.wait()
        return {"entered": self.entered}


def held_app(limit: int, held: Held) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = service_app(
        Settings(http_max_in_flight=limit),
        service="test",
        title="test",
        description="a service of the tests",
        lifespan=lifespan,
    )
    app.add_api_route("/v1/slow", held, methods=["POST"])
    set_readiness(app, {})
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")


async def test_past_the_limit_a_request_is_refused_at_once_and_health_still_answers() -> None:
    held = Held(expected=2)
    async with client(held_app(2, held)) as http:
        inside = [asyncio.create_task(http.post("/v1/slow")) for _ in range(2)]
        await asyncio.wait_for(held.all_inside.wait(), ANSWER_WITHIN_S)

        refused = await asyncio.wait_for(
            http.post("/v1/slow", headers={"accept-language": "mk"}), ANSWER_WITHIN_S
        )
        alive = await asyncio.wait_for(http.get("/healthz"), ANSWER_WITHIN_S)
        ready = await asyncio.wait_for(http.get("/readyz"), ANSWER_WITHIN_S)
        metrics = await asyncio.wait_for(http.get("/metrics"), ANSWER_WITHIN_S)

        held.release.set()
        answered = await asyncio.gather(*inside)
        after = await asyncio.wait_for(http.post("/v1/slow"), ANSWER_WITHIN_S)

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == PROBLEM_JSON
    body = refused.json()
    assert body["type"] == "/problems/unavailable"
    assert body["status"] == 503
    assert body["instance"] == f"urn:uuid:{refused.headers['x-correlation-id']}"  # findable in logs
    assert body["detail"] == i18n.gettext("mk", BUSY, seconds=1)  # in the language asked for
    assert body["detail"] != i18n.gettext("en", BUSY, seconds=1)
    assert refused.headers["x-content-type-options"] == "nosniff"  # the security headers still apply
    assert held.entered == 3  # the two held and the one after; the refused one never reached the route
    assert [r.status_code for r in answered] == [200, 200]
    assert after.status_code == 200  # the slots come free when the answers are sent
    assert alive.status_code == 200
    assert ready.status_code == 200
    assert metrics.status_code == 200
    assert 'homeward_http_overload_refusals_total{reason="in_flight",service="test"}' in metrics.text
