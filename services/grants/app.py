"""`create_app()`: the grants service in one process — the finance API, the consumer of intake's
events, the outbox relay and the periodic due check, started and stopped by the app's lifespan.
Wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import structlog
from fastapi import FastAPI

from shared.access_log import ACCESS_LOG_MIGRATIONS
from shared.http.access_log import access_log_router
from shared.http.health import broker_check, database_check, set_readiness
from shared.http.service import service_app
from shared.jobs import Jobs
from shared.kafka.broker import create_broker
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.topics import Topics, TopicSpec

from .consumers import subscribe
from .core.policies import POLICY_FILE, load_policies
from .http import grants, installments, ledger, ledger_proofs, programmes
from .http.pages import audit as audit_pages
from .http.pages import finance as finance_pages
from .http.pages.render import PAGES
from .http.pages.render import router as page_router
from .http.problems import PROBLEMS
from .jobs import checkpoint_signing, due_check, sign_last_checkpoint
from .settings import LedgerSettings, load_signing
from .store import PRIVILEGES
from .store import programmes as programme_store
from .store.grants import ACCESS_LOG_CASES
from .use_cases.context import GrantsContext, utc_today

SERVICE = "grants"
MIGRATIONS = Path(__file__).parent / "migrations"
# what the service starts with and `homeward grants migrate` applies: its own, then the access log
MIGRATION_FOLDERS = (MIGRATIONS, ACCESS_LOG_MIGRATIONS)
log = structlog.get_logger("grants.app")


def create_app(
    settings: Settings | None = None,
    *,
    ledger_settings: LedgerSettings | None = None,
    due_check_interval_s: float = 300.0,
    today: Callable[[], date] = utc_today,
) -> FastAPI:
    settings = settings or Settings()
    ledger_settings = ledger_settings or LedgerSettings()
    policies = load_policies(settings.config_dir / POLICY_FILE)  # a bad file stops the start here
    signing = load_signing(ledger_settings)  # and so does a missing or unusable signing key

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await ServiceRuntime.start(
            settings, SERVICE, MIGRATION_FOLDERS, privileges=PRIVILEGES, topics=service_topics(settings)
        )
        broker = create_broker(settings, SERVICE)
        jobs = Jobs()
        context: GrantsContext | None = None
        try:
            async with runtime.pool.acquire() as connection:
                await programme_store.sync_programmes(connection, policies)
            context = GrantsContext(runtime.pool, runtime.topics, policies, signing, today)
            subscribe(broker, context)
            await broker.start()
            jobs = Jobs(
                [
                    due_check(context, due_check_interval_s),
                    checkpoint_signing(context, ledger_settings.checkpoint_check_interval_s),
                ]
            )
            jobs.start()
            app.state.grants, app.state.runtime, app.state.broker = context, runtime, broker
            app.state.identity = runtime.identity
            set_readiness(app, {"database": database_check(runtime.pool), "broker": broker_check(broker)})
            log.info("grants service started", programmes=[p.id for p in policies.programmes])
            yield
        finally:
            await jobs.stop()
            if context is not None:
                await sign_last_checkpoint(context, ledger_settings.checkpoint_shutdown_timeout_s)
            await broker.stop()
            await runtime.stop()

    app = service_app(
        settings,
        service=SERVICE,
        title="Homeward grants",
        description="Donor programmes, grants and their installments, the double-entry ledger and its audit.",
        lifespan=lifespan,
        problems=PROBLEMS,
    )
    for module in (programmes, grants, installments, ledger, ledger_proofs):
        app.include_router(module.router)
    app.include_router(access_log_router(ACCESS_LOG_CASES))
    PAGES.install(app)
    for pages in (page_router, finance_pages.router, audit_pages.router):
        app.include_router(pages)
    return app


def service_topics(settings: Settings) -> list[TopicSpec]:
    """The topics grants consumes (with their dead-letter topics) and publishes."""
    topics = Topics(settings.topic_prefix)
    return [
        *topics.with_dlqs([topics.returnees, topics.referral_status]),
        topics.grants_installments,
        topics.ledger_checkpoints,
    ]
