"""`create_app()`: intake's HTTP API and caseworker page, its timeline consumers and outbox relay,
started and stopped together by the FastAPI lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.intake.consumers import subscribe_timeline
from services.intake.core.catalogue import load_catalogue
from services.intake.http import problems
from services.intake.http.api import assignment, cases, consent, plans, timeline, user_changes, users
from services.intake.http.api.document import describe_catalogue
from services.intake.http.pages import case, home, registration, render
from services.intake.store import PRIVILEGES
from services.intake.use_cases.context import IntakeContext
from shared.http import signin
from shared.http.health import broker_check, database_check, set_readiness
from shared.http.service import service_app
from shared.kafka.broker import create_broker
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"

log = structlog.get_logger("intake.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalogue = load_catalogue(settings.config_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await ServiceRuntime.start(
            settings, SERVICE, [MIGRATIONS], privileges=PRIVILEGES, topics=_topics(settings)
        )
        broker = create_broker(settings, SERVICE)
        subscribe_timeline(broker, runtime.pool, runtime.topics)
        try:
            await broker.start()
            app.state.runtime = runtime
            app.state.broker = broker
            app.state.identity = runtime.identity
            app.state.intake = IntakeContext(runtime.pool, runtime.topics, catalogue)
            set_readiness(app, {"database": database_check(runtime.pool), "broker": broker_check(broker)})
            log.info("intake started", schema=runtime.schema)
            yield
        finally:
            await broker.stop()
            await runtime.stop()
            log.info("intake stopped")

    app = service_app(
        settings,
        service=SERVICE,
        title="Homeward intake",
        description="Register returnees, assess needs, record consent, propose and approve plans.",
        lifespan=lifespan,
        problems=problems.PROBLEMS,
    )
    problems.install_error_handlers(app)
    describe_catalogue(app, catalogue)
    for module in (cases, assignment, plans, consent, timeline, users, user_changes):
        app.include_router(module.router)
    app.include_router(signin.api_router)
    app.include_router(signin.page_routes(home.sign_in_page))
    for page in (home, registration, case):
        app.include_router(page.router)
    home.install_page_errors(app)
    app.mount("/static", StaticFiles(directory=render.STATIC), name="static")
    return app


def _topics(settings: Settings) -> list[TopicSpec]:
    topics = Topics(settings.topic_prefix)
    return [topics.returnees, *topics.with_dlqs([topics.referral_status, topics.grants_installments])]
