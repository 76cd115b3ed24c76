"""Who read which case: one row per (reader, case) and request, ids and an action word only.
Written before the answer leaves: a read that cannot be recorded fails (fail closed)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from shared.db import Pool


async def record_reads(pool: Pool, user_id: UUID, action: str, case_ids: Iterable[UUID]) -> None:
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return
    await pool.execute(
        "INSERT INTO access_log (user_id, action, case_id) SELECT $1, $2, unnest($3::uuid[])",
        user_id,
        action,
        ids,
    )
