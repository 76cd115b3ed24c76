"""`create_app()`: intake's HTTP API and caseworker page, its timeline consumers and outbox relay,
started and stopped together by the FastAPI lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from services.intake.api import cases, common, consent, plans, timeline, users
from services.intake.catalogue import load_catalogue
from services.intake.consumers import subscribe_timeline
from services.intake.handlers import Intake
from services.intake.web import case_pages, pages
from shared.api_security import install_api_security
from shared.events import uuid7
from shared.events.envelope import current_correlation_id
from shared.kafka import create_broker
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "web" / "static"
CORRELATION_HEADER = "x-correlation-id"

log = structlog.get_logger("intake.app")
access_log = structlog.get_logger("intake.access")


class RequestContext:
    """Every request runs under a correlation id (the caller's `X-Correlation-ID`, or a new one):
    events it causes carry it, log lines name it, and the response echoes it. One log line per
    request names its method, path and status, never its query string (a search holds names)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(CORRELATION_HEADER.encode(), b"").decode()
        correlation = _uuid(given) or uuid7()
        token = current_correlation_id.set(correlation)
        started = time.monotonic()
        status: list[int] = []

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (CORRELATION_HEADER.encode(), str(correlation).encode()),
                ]
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(correlation_id=str(correlation)):
                await self.app(scope, receive, send_with_id)
                access_log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status[0] if status else None,
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                )
        finally:
            current_correlation_id.reset(token)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalogue = load_catalogue(settings.config_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await ServiceRuntime.start(settings, SERVICE, [MIGRATIONS], topics=_topics(settings))
        broker = create_broker(settings, SERVICE)
        subscribe_timeline(broker, runtime.pool, runtime.topics)
        try:
            await broker.start()
            app.state.runtime = runtime
            app.state.broker = broker
            app.state.identity = runtime.identity
            app.state.intake = Intake(runtime.pool, runtime.topics, catalogue)
            log.info("intake started", schema=runtime.schema)
            yield
        finally:
            await broker.stop()
            await runtime.stop()
            log.info("intake stopped")

    app = FastAPI(
        title="Homeward intake",
        version="1",
        description="Register returnees, assess needs, record consent, propose and approve plans.",
        lifespan=lifespan,
    )
    install_api_security(app, settings)  # inside RequestContext: refusals are logged too
    app.add_middleware(RequestContext)
    common.install_error_handlers(app)
    for module in (cases, plans, consent, timeline, users):
        app.include_router(module.router)
    app.include_router(pages.router)
    app.include_router(case_pages.router)
    pages.install_page_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    common.install_openapi(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        return JSONResponse(*await _readiness(request.app))

    return app


def _topics(settings: Settings) -> list[TopicSpec]:
    topics = Topics(settings.topic_prefix)
    return [topics.returnees, *topics.with_dlqs([topics.referral_status, topics.grants_installments])]


async def _readiness(app: FastAPI) -> tuple[dict[str, str], int]:
    runtime: ServiceRuntime | None = getattr(app.state, "runtime", None)
    checks = {"database": "down", "broker": "down"}
    if runtime is not None:
        try:
            await runtime.pool.fetchval("SELECT 1", timeout=2)
            checks["database"] = "up"
        except Exception as error:
            log.warning("readiness: database does not answer", error_type=type(error).__name__)
        try:
            if await app.state.broker.ping(timeout=2):
                checks["broker"] = "up"
        except Exception as error:
            log.warning("readiness: broker does not answer", error_type=type(error).__name__)
    ready = all(v == "up" for v in checks.values())
    return checks, 200 if ready else 503
