"""`create_app()`: intake's HTTP API and caseworker page, its timeline consumers, outbox relay and
retention purge, started and stopped together by the FastAPI lifespan. The reference data and the
retention periods are read and validated here, before anything starts: a bad file stops the service
naming the field at fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.intake.consumers import subscribe_timeline
from services.intake.core.catalogue import load_catalogue
from services.intake.core.matching import DEFAULT_THRESHOLD
from services.intake.core.retention import RETENTION_FILE, load_retention
from services.intake.http import problems
from services.intake.http.api import (
    access,
    arrivals,
    assignment,
    case_changes,
    cases,
    consent,
    duplicates,
    monitoring,
    plans,
    timeline,
    user_changes,
    users,
)
from services.intake.http.api.document import describe_catalogue
from services.intake.http.pages import access_log, case, home, reception, registration, render
from services.intake.http.pages import admin as admin_pages
from services.intake.http.pages import case_changes as case_change_pages
from services.intake.http.pages import duplicates as duplicate_pages
from services.intake.http.pages import monitoring as monitoring_page
from services.intake.http.pages import supervisor as supervisor_page
from services.intake.jobs import missed_arrivals, retention_purge
from services.intake.store import PRIVILEGES
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.duplicates import index_people
from shared.access_log import ACCESS_LOG_MIGRATIONS
from shared.http import signin
from shared.http.health import broker_check, database_check, set_readiness
from shared.http.service import service_app
from shared.jobs import Jobs
from shared.kafka.broker import create_broker
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"
# what the service starts with and `homeward intake migrate` applies: its own, then the access log
MIGRATION_FOLDERS = (MIGRATIONS, ACCESS_LOG_MIGRATIONS)

log = structlog.get_logger("intake.app")


class IntakeSettings(BaseSettings):
    """Intake's own knobs (environment prefix `HOMEWARD_INTAKE_`)."""

    model_config = SettingsConfigDict(env_prefix="HOMEWARD_INTAKE_", extra="ignore", frozen=True)

    purge_interval_s: float = Field(default=24 * 60 * 60, gt=0)
    retention_file: str = RETENTION_FILE
    # two people scoring at least this are shown as likely one (core/matching.py: the table of
    # known pairs in tests/unit/intake/test_matching.py is what the default rests on)
    duplicate_threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    # an expected arrival nobody confirmed this long after its scheduled time is missed
    arrival_grace_hours: float = Field(default=12, ge=0, le=24 * 7)
    missed_arrivals_interval_s: float = Field(default=5 * 60, gt=0)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    options = IntakeSettings()
    catalogue = load_catalogue(settings.config_dir)
    retention = load_retention(settings.config_dir / options.retention_file, catalogue.programmes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await ServiceRuntime.start(
            settings, SERVICE, MIGRATION_FOLDERS, privileges=PRIVILEGES, topics=_topics(settings)
        )
        broker = create_broker(settings, SERVICE)
        subscribe_timeline(broker, runtime.pool, runtime.topics)
        jobs = Jobs()
        try:
            await broker.start()
            context = IntakeContext(
                runtime.pool, runtime.topics, catalogue, duplicate_threshold=options.duplicate_threshold
            )
            # people stored before their matching keys are found as duplicates once keyed
            if indexed := await index_people(context):
                log.info("people keyed for duplicate matching", people=indexed)
            app.state.runtime = runtime
            app.state.broker = broker
            app.state.identity = runtime.identity
            app.state.intake = context
            app.state.retention = retention
            set_readiness(app, {"database": database_check(runtime.pool), "broker": broker_check(broker)})
            grace = timedelta(hours=options.arrival_grace_hours)
            jobs = Jobs(
                [
                    retention_purge(context, retention, options.purge_interval_s),
                    missed_arrivals(context, grace, options.missed_arrivals_interval_s),
                ]
            )
            jobs.start()
            log.info("intake started", schema=runtime.schema)
            yield
        finally:
            await jobs.stop()
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
    for module in (
        cases,
        case_changes,
        arrivals,
        assignment,
        duplicates,
        plans,
        consent,
        monitoring,
        timeline,
        users,
        user_changes,
        access,
    ):
        app.include_router(module.router)
    app.include_router(signin.api_router)
    for page in (
        home,
        registration,
        case,
        case_change_pages,
        reception,
        duplicate_pages,
        access_log,
        monitoring_page,
    ):
        app.include_router(page.router)
    app.include_router(supervisor_page.router)  # role pages (issue 15, point 3)
    app.include_router(admin_pages.router)
    render.PAGES.install(app)
    return app


def _topics(settings: Settings) -> list[TopicSpec]:
    topics = Topics(settings.topic_prefix)
    return [topics.returnees, *topics.with_dlqs([topics.referral_status, topics.grants_installments])]
