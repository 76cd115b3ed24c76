"""`create_app()`: the reporting service in one process — the reports API and page, and the
consumers that keep the read model, started and stopped by the app's lifespan. Wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
import yaml
from fastapi import FastAPI

from shared.http.health import broker_check, database_check, set_readiness
from shared.http.service import service_app
from shared.kafka.broker import create_broker
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

from .consumers import subscribe
from .core.schedules import POLICY_FILE, monitoring_schedules
from .http import pages, reports
from .http.problems import PROBLEMS
from .store import PRIVILEGES
from .use_cases.context import ReportingContext

SERVICE = "reporting"
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_FOLDERS = (MIGRATIONS,)
log = structlog.get_logger("reporting.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    schedules = load_schedules(settings)  # a policy file that does not parse stops the start here

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # reporting publishes nothing: no outbox relay
        runtime = await ServiceRuntime.start(
            settings,
            SERVICE,
            MIGRATION_FOLDERS,
            privileges=PRIVILEGES,
            topics=service_topics(settings),
            run_relay=False,
        )
        broker = create_broker(settings, SERVICE)
        try:
            context = ReportingContext(runtime.pool, runtime.topics, settings, schedules)
            subscribe(broker, context)
            await broker.start()
            app.state.reporting, app.state.runtime, app.state.broker = context, runtime, broker
            app.state.identity = runtime.identity
            set_readiness(app, {"database": database_check(runtime.pool), "broker": broker_check(broker)})
            log.info("reporting service started")
            yield
        finally:
            await broker.stop()
            await runtime.stop()

    app = service_app(
        settings,
        service=SERVICE,
        title="Homeward reporting",
        description="Donor reports per programme and period, from a read model built from the topics alone;"
        " no count under five people.",
        lifespan=lifespan,
        problems=PROBLEMS,
    )
    app.include_router(reports.router)
    app.include_router(pages.router)
    pages.PAGES.install(app)
    return app


def load_schedules(settings: Settings) -> Mapping[str, tuple[int, ...]]:
    path = settings.config_dir / POLICY_FILE
    return monitoring_schedules(yaml.safe_load(path.read_text(encoding="utf-8"))) if path.exists() else {}


def service_topics(settings: Settings) -> list[TopicSpec]:
    """The topics reporting consumes, with their dead-letter topics (the checkpoints' is its own)."""
    topics = Topics(settings.topic_prefix)
    return topics.with_dlqs(
        [topics.returnees, topics.referral_status, topics.grants_installments, topics.ledger_checkpoints]
    )
