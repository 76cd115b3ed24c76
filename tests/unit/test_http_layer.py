"""The HTTP layer every service shares, on a small app of its own: readiness that names what is
down, one problem+json body for every error, correlation ids, request log lines and metrics, and
an OpenAPI document that lists every answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, Field

from shared.events import uuid7
from shared.http.auth import require_roles
from shared.http.health import set_readiness
from shared.http.params import known_query_only
from shared.http.problems import CONFLICT, PROBLEM_JSON, ProblemError
from shared.http.service import service_app
from shared.identity.model import Role, User
from shared.settings import Settings


class Thing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


class Refused(Exception):
    pass


def small_app(**settings: object) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield

    app = service_app(
        Settings(**settings),  # type: ignore[arg-type]
        service="test",
        title="test",
        description="a service of the tests",
        lifespan=lifespan,
        problems={Refused: CONFLICT},
    )

    @app.post("/things/{thing_id}")
    async def make_thing(thing_id: int, thing: Thing, limit: Annotated[int, Query(le=10)] = 1) -> Thing:
        if thing.name == "taken":
            raise ProblemError(CONFLICT, "that name is taken", extra={"taken_by": thing_id})
        if thing.name == "refused":
            raise Refused("refused by the rules")
        if thing.name == "boom":
            raise RuntimeError("a bug, with Ana Petrovska's name in its message")
        return thing

    # a route of an included router, as the services have them
    router = APIRouter(dependencies=[Depends(known_query_only)])

    @router.get("/listing")
    async def listing(programme: str | None = None) -> dict[str, str | None]:
        return {"programme": programme}

    @router.get("/secret")
    async def secret(user: Annotated[User, Depends(require_roles(Role.ADMIN))]) -> dict[str, str]:
        return {"who": user.name}

    app.include_router(router)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")


async def test_alive_always_and_ready_only_when_every_dependency_answers() -> None:
    app = small_app()

    async def database() -> None:
        return None

    async def broker() -> None:
        raise ConnectionRefusedError("connect to 127.0.0.1:19092 refused")

    async with client(app) as http:
        assert (await http.get("/healthz")).json() == {"status": "alive"}
        starting = await http.get("/readyz")
        set_readiness(app, {"database": database, "broker": broker})
        down = await http.get("/readyz")
        set_readiness(app, {"database": database})
        up = await http.get("/readyz")
    assert starting.status_code == 503
    assert starting.headers["retry-after"] == "1"
    assert down.status_code == 503
    assert down.headers["content-type"] == PROBLEM_JSON
    assert down.json()["detail"] == "not ready: broker is down"
    assert down.json()["checks"] == {
        "database": {"status": "up"},
        "broker": {"status": "down", "error": "ConnectionRefusedError: connect to 127.0.0.1:19092 refused"},
    }
    assert up.status_code == 200
    assert up.json() == {"status": "ready", "checks": {"database": {"status": "up", "error": None}}}


async def test_a_422_lists_every_invalid_field_with_a_pointer() -> None:
    async with client(small_app()) as http:
        answer = await http.post("/things/x?limit=99", json={"name": "", "count": -1})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["type"] == "/problems/validation-failed"
    assert body["status"] == 422
    assert body["instance"] == f"urn:uuid:{answer.headers['x-correlation-id']}"
    assert sorted((e["in"], e["pointer"]) for e in body["errors"]) == [
        ("body", "/count"),
        ("body", "/name"),
        ("path", "/thing_id"),
        ("query", "/limit"),
    ]


@pytest.mark.parametrize(
    ("request_", "status", "problem"),
    [
        (("POST", "/things/1", {"name": "taken", "count": 1}), 409, "/problems/conflict"),
        (("POST", "/things/1", {"name": "refused", "count": 1}), 409, "/problems/conflict"),
        (("GET", "/nowhere", None), 404, "/problems/not-found"),
        (("DELETE", "/things/1", None), 405, "/problems/method-not-allowed"),
        (("GET", "/secret", None), 401, "/problems/unauthenticated"),
        (("POST", "/things/1", {"name": "boom", "count": 1}), 500, "/problems/internal-error"),
    ],
)
async def test_every_error_is_problem_json(
    request_: tuple[str, str, dict[str, Any] | None], status: int, problem: str
) -> None:
    method, path, body = request_
    async with client(small_app()) as http:
        answer = await http.request(method, path, json=body)
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.json()["type"] == problem
    assert answer.json()["status"] == status
    assert "Petrovska" not in answer.text  # a 500 says nothing of its cause


async def test_refusals_of_the_limits_are_problem_json_too() -> None:
    app = small_app(api_max_body_bytes=1024, api_write_burst=1, api_writes_per_minute=1)
    async with client(app) as http:
        too_large = await http.post(
            "/things/1", content=b"x" * 2048, headers={"content-type": "application/json"}
        )
        first = await http.post("/things/1", json={"name": "a", "count": 1})
        limited = await http.post("/things/1", json={"name": "a", "count": 1})
    assert too_large.status_code == 413
    assert too_large.json()["type"] == "/problems/body-too-large"
    assert first.status_code == 200
    assert limited.status_code == 429
    assert limited.headers["content-type"] == PROBLEM_JSON
    assert limited.json()["type"] == "/problems/rate-limited"
    assert int(limited.headers["retry-after"]) >= 1


async def test_every_response_carries_the_requests_correlation_id() -> None:
    given = str(uuid7())
    async with client(small_app()) as http:
        echoed = await http.get("/healthz", headers={"X-Correlation-ID": given})
        fresh = await http.get("/healthz", headers={"X-Correlation-ID": "not-a-uuid"})
    assert echoed.headers["x-correlation-id"] == given
    assert fresh.headers["x-correlation-id"] not in ("", "not-a-uuid")


async def test_request_log_lines_name_the_route_and_leave_out_the_query_string() -> None:
    """A search names people; the access log names only the route and path."""
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        async with client(small_app()) as http:
            await http.post("/things/7", params={"q": "Ana Petrovska"}, json={"name": "a", "count": 1})
    requests = [line for line in logs if line["event"] == "request"]
    assert requests == [
        {
            "event": "request",
            "log_level": "info",
            "method": "POST",
            "route": "/things/{thing_id}",
            "path": "/things/7",
            "status": 200,
            "duration_ms": requests[0]["duration_ms"],
        }
    ]
    assert "Petrovska" not in repr(logs)


async def test_metrics_count_requests_by_route_template_and_status() -> None:
    async with client(small_app()) as http:
        await http.post("/things/1", json={"name": "a", "count": 1})
        await http.post("/things/2", json={"name": "taken", "count": 1})
        metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    for status in ("200", "409"):
        assert any(
            line.startswith("homeward_http_requests_total{")
            and 'service="test"' in line
            and 'route="/things/{thing_id}"' in line
            and f'status="{status}"' in line
            for line in lines
        ), status


def test_the_openapi_document_lists_every_problem_an_operation_can_answer() -> None:
    document = small_app().openapi()
    make = document["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert set(make) >= {"200", "404", "413", "422", "429", "503"}
    assert "401" not in make  # no token needed there
    for status in ("404", "413", "422", "429", "503"):
        assert make[status]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    secret = document["paths"]["/secret"]["get"]
    assert {"401", "403", "503"} <= set(secret["responses"])
    assert secret["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_each_request_is_a_server_span_that_continues_the_callers_trace(
    spans: InMemorySpanExporter,
) -> None:
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{caller_trace}-00f067aa0ba902b7-01"
    async with client(small_app()) as http:
        answer = await http.post(
            "/things/3", json={"name": "a", "count": 1}, headers={"traceparent": traceparent}
        )
    server = [
        s
        for s in spans.get_finished_spans()
        if (s.attributes or {}).get("homeward.correlation_id") == answer.headers["x-correlation-id"]
    ]
    assert [s.name for s in server] == ["POST /things/{thing_id}"]
    assert server[0].context is not None
    assert format(server[0].context.trace_id, "032x") == caller_trace
    assert (server[0].attributes or {})["http.response.status_code"] == 200


async def test_an_unknown_query_parameter_is_refused_not_ignored() -> None:
    """A misspelt filter must not silently widen the answer."""
    async with client(small_app()) as http:
        known = await http.get("/listing", params={"programme": "A"})
        misspelt = await http.get("/listing", params={"programe": "A"})
    assert known.json() == {"programme": "A"}
    assert misspelt.status_code == 422
    assert misspelt.json()["errors"] == [
        {"in": "query", "pointer": "/programe", "detail": "not a parameter of this operation"}
    ]
