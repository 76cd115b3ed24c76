"""The app without its runtime (no broker, no database): alive, not ready, correlation ids echoed."""

from __future__ import annotations

import httpx

from services.intake.app import create_app
from shared.events import uuid7
from shared.settings import Settings


def client() -> httpx.AsyncClient:
    app = create_app(Settings())  # lifespan not run: nothing is connected
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.test")


async def test_alive_but_not_ready_without_database_and_broker():
    async with client() as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"database": "down", "broker": "down"}


async def test_every_response_carries_the_requests_correlation_id():
    given = str(uuid7())
    async with client() as http:
        echoed = await http.get("/healthz", headers={"X-Correlation-ID": given})
        fresh = await http.get("/healthz", headers={"X-Correlation-ID": "not-a-uuid"})
    assert echoed.headers["x-correlation-id"] == given
    assert fresh.headers["x-correlation-id"] not in ("", "not-a-uuid")


async def test_request_log_lines_leave_out_the_query_string():
    """A search names people; the access log names only the path."""
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        async with client() as http:
            await http.get("/healthz", params={"q": "Ana Petrovska"})
    requests = [line for line in logs if line["event"] == "request"]
    assert requests == [
        {
            "event": "request",
            "log_level": "info",
            "method": "GET",
            "path": "/healthz",
            "status": 200,
            "duration_ms": requests[0]["duration_ms"],
        }
    ]
    assert "Petrovska" not in repr(logs)
