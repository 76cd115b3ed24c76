"""Each service runs as a database role that owns nothing and may only do what its code does: an
insider with a service's credentials cannot switch off the triggers that guard the ledger and the
access log, rewrite or empty an append-only table, or change the schema. The migrations that make
those tables run as the owner."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from services.grants.app import MIGRATION_FOLDERS as GRANTS_MIGRATIONS
from services.grants.store import PRIVILEGES as GRANTS_PRIVILEGES
from services.intake.app import MIGRATION_FOLDERS as INTAKE_MIGRATIONS
from services.intake.store import PRIVILEGES as INTAKE_PRIVILEGES
from services.referral.app import MIGRATION_FOLDERS as REFERRAL_MIGRATIONS
from services.referral.store import PRIVILEGES as REFERRAL_PRIVILEGES
from services.reporting.app import MIGRATION_FOLDERS as REPORTING_MIGRATIONS
from services.reporting.store import PRIVILEGES as REPORTING_PRIVILEGES
from shared.db import create_pool
from shared.db_roles import TablePrivileges
from shared.outbox.relay import report_backlog
from shared.retention import prune
from shared.runtime import migrate_service
from shared.settings import Settings
from tests.conftest import Isolated, new_isolation, release_isolation

pytestmark = pytest.mark.integration

# each service's migrations as it starts and as `homeward <service> migrate` applies them: its own,
# then the access log (shared/sql_access_log)
SERVICES: dict[str, tuple[Sequence[Path], TablePrivileges]] = {
    "intake": (INTAKE_MIGRATIONS, INTAKE_PRIVILEGES),
    "referral": (REFERRAL_MIGRATIONS, REFERRAL_PRIVILEGES),
    "grants": (GRANTS_MIGRATIONS, GRANTS_PRIVILEGES),
    "reporting": (REPORTING_MIGRATIONS, REPORTING_PRIVILEGES),
}
# what each service's append-only tables are: rows may be added and read, never changed
APPEND_ONLY = {
    "intake": ["access_log", "case_changes"],
    "referral": ["access_log"],
    "grants": ["access_log", "case_outcomes", "ledger_entries", "ledger_transactions", "ledger_checkpoints"],
    "reporting": [],
}
ANY_TABLE = {"intake": "cases", "referral": "referrals", "grants": "ledger_entries", "reporting": "cases"}


@pytest.fixture(scope="module")
async def migrated(kafka_bootstrap: str, database_url: str) -> AsyncIterator[Isolated]:
    isolation = new_isolation(kafka_bootstrap, database_url)
    for service, (migrations, privileges) in SERVICES.items():
        settings = isolation.with_schema(service)
        await migrate_service(settings, service, migrations, privileges)
    yield isolation
    await release_isolation(isolation)


async def as_runtime_role(settings: Settings, service: str, schema: str) -> asyncpg.Connection:
    return await asyncpg.connect(settings.runtime_url(service), server_settings={"search_path": schema})


@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_runtime_role_owns_nothing_and_cannot_change_the_schema(
    migrated: Isolated, service: str
) -> None:
    settings = migrated.with_schema(service)
    schema, table = settings.schema_for(service), ANY_TABLE[service]
    connection = await as_runtime_role(settings, service, schema)
    try:
        owned = await connection.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND pg_get_userbyid(c.relowner) = current_user",
            schema,
        )
        assert owned == 0
        for statement in (
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            f"ALTER TABLE {table} ADD COLUMN smuggled text",
            f"TRUNCATE {table} CASCADE",
            f"DROP TABLE {table} CASCADE",
            "CREATE TABLE smuggled (x int)",
            "DROP TABLE schema_migrations",
            "SELECT * FROM schema_migrations",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("service", "table"), [(service, table) for service, tables in APPEND_ONLY.items() for table in tables]
)
async def test_an_append_only_table_takes_rows_but_never_changes_them(
    migrated: Isolated, service: str, table: str
) -> None:
    settings = migrated.with_schema(service)
    connection = await as_runtime_role(settings, service, settings.schema_for(service))
    try:
        await connection.fetch(f"SELECT * FROM {table} LIMIT 1")  # reading is allowed
        for statement in (
            f"UPDATE {table} SET {await _a_column(connection, table)} = NULL",
            f"DELETE FROM {table}",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await connection.execute(statement)
    finally:
        await connection.close()


async def _a_column(connection: asyncpg.Connection, table: str) -> str:
    column: str = await connection.fetchval(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
        " AND table_schema = current_schema() ORDER BY ordinal_position LIMIT 1",
        table,
    )
    return column


@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_work_every_service_does_on_its_own_keeps_within_its_privileges(
    migrated: Isolated, service: str
) -> None:
    """Retention and the outbox gauges run as the service's role, as in production."""
    settings = migrated.with_schema(service)
    schema = settings.schema_for(service)
    pool = await create_pool(settings.runtime_url(service), schema, min_size=1, max_size=2)
    try:
        for table in ("outbox", "inbox"):
            assert await prune(pool, schema, table, timedelta(days=1), batch_rows=100) == 0
        await report_backlog(pool, schema)
    finally:
        await pool.close()
