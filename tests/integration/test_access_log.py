"""The access log every service keeps (shared/sql_access_log): rows are added, never changed —
the database itself refuses an UPDATE, a DELETE or a TRUNCATE of it, whoever asks — and intake's
earlier log of reads is carried over into it."""

from __future__ import annotations

import shutil
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from services.grants.app import MIGRATIONS as GRANTS
from services.intake.app import MIGRATIONS as INTAKE
from services.referral.app import MIGRATIONS as REFERRAL
from shared import access_log
from shared.access_log import ACCESS_LOG_MIGRATIONS
from shared.db import create_pool, migrate
from shared.privacy import Action, Actor, Purpose
from tests.conftest import Isolated

pytestmark = pytest.mark.integration

SERVICE_MIGRATIONS = {"intake": INTAKE, "referral": REFERRAL, "grants": GRANTS}


@pytest.mark.parametrize("service", list(SERVICE_MIGRATIONS))
async def test_a_tampered_access_log_row_is_refused_by_the_database(isolated: Isolated, service: str) -> None:
    schema = f"{isolated.schema}_{service}"
    url = isolated.settings.database_url
    await migrate(url, schema, [SERVICE_MIGRATIONS[service], ACCESS_LOG_MIGRATIONS])
    pool = await create_pool(url, schema, min_size=1, max_size=1)
    try:
        case_id = uuid4()
        reader = Actor(uuid4(), "a.auditor", "auditor")
        await access_log.record(pool, reader, Action.READ, [case_id])
        [entry] = await access_log.for_case(pool, case_id)
        assert (entry.actor, entry.action, entry.purpose) == ("a.auditor", "read", "audit")

        tampering = [
            ("UPDATE access_log SET actor = 'someone else' WHERE id = $1", (entry.id,)),
            ("UPDATE access_log SET purpose = 'audit', at = at - interval '1 day'", ()),
            ("DELETE FROM access_log WHERE id = $1", (entry.id,)),
            ("DELETE FROM access_log", ()),
            ("TRUNCATE access_log", ()),
        ]
        for statement, args in tampering:
            with pytest.raises(asyncpg.RestrictViolationError, match="the access log is append-only"):
                await pool.execute(statement, *args)
        assert await access_log.for_case(pool, case_id) == [entry]  # still there, as written
    finally:
        await pool.close()


async def test_intakes_earlier_log_of_reads_is_carried_over(isolated: Isolated, tmp_path: Path) -> None:
    schema, url = f"{isolated.schema}_intake", isolated.settings.database_url
    # intake as it was before the shared log: its migrations up to its own table of reads (0002)
    earlier = tmp_path / INTAKE.name
    earlier.mkdir()
    for name in ("0001_cases.sql", "0002_access_log.sql"):
        shutil.copy(INTAKE / name, earlier / name)
    await migrate(url, schema, [earlier])
    user, case = uuid4(), uuid4()
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        await connection.execute(
            "INSERT INTO access_log (user_id, action, case_id) VALUES ($1, 'read', $2)", user, case
        )
    finally:
        await connection.close()

    await migrate(url, schema, [INTAKE, ACCESS_LOG_MIGRATIONS])  # what intake now starts with
    pool = await create_pool(url, schema, min_size=1, max_size=1)
    try:
        [carried] = await access_log.for_case(pool, case)
        assert (carried.actor_id, carried.action, carried.purpose) == (user, "read", "unrecorded")
        await access_log.record(pool, Actor(user, "c.worker", "caseworker"), Action.PAGE, [case])
        assert [e.purpose for e in await access_log.for_case(pool, case)] == ["unrecorded", "case_management"]
        with pytest.raises(asyncpg.RestrictViolationError):
            await pool.execute("DELETE FROM access_log")
    finally:
        await pool.close()


async def test_an_export_or_an_erasure_must_say_why() -> None:
    from shared.privacy import PurposeRequired, purpose_for

    for action in (Action.EXPORT, Action.ERASE):
        with pytest.raises(PurposeRequired):
            purpose_for("caseworker", action)
        assert purpose_for("operator", action, Purpose.SUBJECT_ACCESS) is Purpose.SUBJECT_ACCESS
