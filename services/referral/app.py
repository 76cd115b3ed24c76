"""`create_app()`: the referral service in one process — HTTP API, consumers, outbox relay, and the
escalation sweep. Wiring only.

The partner directory is read and validated here, before anything starts: a bad file stops the
service with the line and field at fault (DirectoryError). The lifespan then starts the runtime
(migrations, every topic the service touches, the pool, the relay), syncs partners' places, starts
the broker's consumers and the periodic jobs, and stops them in reverse order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.access_log import ACCESS_LOG_MIGRATIONS
from shared.db import transaction
from shared.http.access_log import access_log_router
from shared.http.health import broker_check, database_check, set_readiness
from shared.http.service import service_app
from shared.jobs import Jobs
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

from .consumers import SERVICE, Consumers, build_broker
from .core.directory import Directory, load_directory, load_municipalities
from .http import actions, partners, referrals
from .http.pages import case_referrals, portal
from .jobs import escalation_sweep, reroute_sweep, retry_sweep
from .store import PRIVILEGES
from .store.places import sync_partner_places
from .store.referrals import ACCESS_LOG_CASES
from .use_cases.context import ReferralContext

MIGRATIONS = Path(__file__).parent / "migrations"
# what the service starts with and `homeward referral migrate` applies: its own, then the access log
MIGRATION_FOLDERS = (MIGRATIONS, ACCESS_LOG_MIGRATIONS)


class ReferralSettings(BaseSettings):
    """Referral's own knobs (environment prefix `HOMEWARD_REFERRAL_`)."""

    model_config = SettingsConfigDict(env_prefix="HOMEWARD_REFERRAL_", extra="ignore", frozen=True)

    sweep_interval_s: float = Field(default=60.0, gt=0)
    # the second deadline: an escalated referral nobody held is re-routed this long after its
    # partner's own deadline (use_cases/automatic.py)
    reroute_after_hours: float = Field(default=48.0, gt=0)
    partners_file: str = "partners.yaml"


def service_directory(settings: Settings, partners_file: str = "partners.yaml") -> Directory:
    municipalities = load_municipalities(settings.config_dir / "municipalities.yaml")
    return load_directory(settings.config_dir / partners_file, municipalities)


def service_topics(topics: Topics, directory: Directory) -> list[TopicSpec]:
    """Every topic referral reads (with its dead-letter topic) or writes, including each partner's
    referrals and answers."""
    consumed = topics.with_dlqs([topics.returnees, topics.referral_responses])
    partners = directory.ids()
    return [
        *consumed,
        *(topics.partner_responses(pid) for pid in partners),
        topics.partner_responses_dlq,
        topics.referral_status,
        *(topics.partner(pid) for pid in partners),
    ]


def create_app(settings: Settings | None = None, *, sweep_interval_s: float | None = None) -> FastAPI:
    settings = settings or Settings()
    options = ReferralSettings()
    directory = service_directory(settings, options.partners_file)
    context = ReferralContext(directory, Topics(settings.topic_prefix))
    consumers = Consumers(context)
    broker = build_broker(settings, consumers)
    interval = sweep_interval_s or options.sweep_interval_s

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await ServiceRuntime.start(
            settings,
            SERVICE,
            MIGRATION_FOLDERS,
            privileges=PRIVILEGES,
            topics=service_topics(context.topics, directory),
        )
        try:
            async with transaction(runtime.pool) as connection:
                await sync_partner_places(connection, directory)
            consumers.pool = runtime.pool
            app.state.pool = runtime.pool
            app.state.identity = runtime.identity
            app.state.runtime = runtime
            await broker.start()
            set_readiness(app, {"database": database_check(runtime.pool), "broker": broker_check(broker)})
            reroute_after = timedelta(hours=options.reroute_after_hours)
            jobs = Jobs(
                [
                    escalation_sweep(runtime.pool, context, interval),
                    reroute_sweep(runtime.pool, context, interval, reroute_after),
                    retry_sweep(runtime.pool, context, interval),
                ]
            )
            jobs.start()
            try:
                yield
            finally:
                await jobs.stop()
                await broker.stop()
        finally:
            await runtime.stop()

    app = service_app(
        settings,
        service=SERVICE,
        title="Homeward referral",
        description="Where each referral stands, partners' load, and what waits for a caseworker.",
        lifespan=lifespan,
    )
    app.state.directory = directory
    app.include_router(referrals.router)
    app.include_router(actions.router)
    app.state.context = context
    # pages: caseworkers act on a case's referrals; partners' staff answer on the portal. One
    # sign-in for both (it returns to `/`, which sends partners' staff to the portal).
    case_referrals.PAGES.install(app)
    app.include_router(case_referrals.router)
    app.include_router(portal.router)
    app.include_router(partners.router)
    app.include_router(access_log_router(ACCESS_LOG_CASES))
    return app
