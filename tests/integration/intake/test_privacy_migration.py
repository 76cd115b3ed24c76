"""Intake's privacy migration (0130) over what intake held before it: each case's closing time
taken from its document, the assessment lines no longer counting vulnerabilities, and for every
referral line a withheld one without the partner or its words (none for an escalation, and none
for a line that does not parse: hidden rather than shown wrong)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from services.intake.app import MIGRATIONS
from shared.access_log import ACCESS_LOG_MIGRATIONS
from shared.db import migrate
from tests.conftest import Isolated

pytestmark = pytest.mark.integration

BEFORE = ("0001_cases.sql", "0002_access_log.sql")
REPORTED = {
    "Referral for housing with kale-safe-house: accepted (was issued)": (
        "Referral for housing with a partner: accepted"
    ),
    "Referral for medical with kale-safe-house: declined (was escalated): we take women only": (
        "Referral for medical with a partner: declined"
    ),
    "Referral for employment with ohrid-jobs-a: completed: hired as a cook by Mr Petrov": (
        "Referral for employment with a partner: completed"
    ),
    "Referral for housing with vardar-housing-cooperative: withdrawn (was accepted): consent_withdrawn": (
        "Referral for housing with a partner: withdrawn: consent_withdrawn"
    ),
    "Referral for counselling: needs_consent": "Referral for counselling: needs_consent",
    "Referral for housing with kale-safe-house: escalated (was issued)": None,
    "Referral for housing, somehow otherwise worded": None,
}


async def test_the_migration_rewrites_what_intake_held_before(isolated: Isolated, tmp_path: Path) -> None:
    url, schema = isolated.settings.database_url, f"{isolated.schema}_intake"
    earlier = tmp_path / MIGRATIONS.name
    earlier.mkdir()
    for name in BEFORE:
        shutil.copy(MIGRATIONS / name, earlier / name)
    await migrate(url, schema, [earlier])
    case_id, user = uuid4(), uuid4()
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        document = {"closure": {"reason": "reintegrated", "closed_at": "2024-05-02T10:00:00Z"}}
        await connection.execute(
            "INSERT INTO cases (id, programme_id, municipality, status, search_text, document,"
            " registered_by, registered_at, updated_by, updated_at)"
            " VALUES ($1, 'NL-AVRR', 'skopje', 'closed', '', $2::jsonb, $3, now(), $3, now())",
            case_id,
            json.dumps(document),
            user,
        )
        await connection.execute(
            "INSERT INTO case_changes (case_id, occurred_at, kind, summary, recorded_by)"
            " VALUES ($1, now(), 'NeedsAssessed', 'Needs assessed: housing; 2 vulnerabilities recorded', $2)",
            case_id,
            user,
        )
        for summary in [*REPORTED, "Grant opened: EUR 1000.00 in 2 installments (NL-AVRR)"]:
            kind = "GrantOpened" if summary.startswith("Grant") else "ReferralStatusChanged"
            await connection.execute(
                "INSERT INTO timeline_events (event_id, case_id, occurred_at, source, topic, type, summary)"
                " VALUES ($1, $2, now(), 'referral', 't', $3, $4)",
                uuid4(),
                case_id,
                kind,
                summary,
            )
    finally:
        await connection.close()

    await migrate(url, schema, [MIGRATIONS, ACCESS_LOG_MIGRATIONS])
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    try:
        closed_at = await connection.fetchval("SELECT closed_at::text FROM cases WHERE id = $1", case_id)
        assert closed_at.startswith("2024-05-02 10:00:00")
        assert await connection.fetchval("SELECT summary FROM case_changes") == "Needs assessed: housing"
        rows = await connection.fetch("SELECT summary, withheld_summary FROM timeline_events")
        withheld = {r["summary"]: r["withheld_summary"] for r in rows}
    finally:
        await connection.close()
    assert withheld == {
        **REPORTED,
        "Grant opened: EUR 1000.00 in 2 installments (NL-AVRR)": (
            "Grant opened: EUR 1000.00 in 2 installments (NL-AVRR)"
        ),
    }
