"""Who read which case: one row per (reader, case) and request, ids and an action word only.
Written before the answer leaves: a read that cannot be recorded fails (fail closed)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from shared.db import Pool


class AccessLog:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def record(self, user_id: UUID, action: str, case_ids: Iterable[UUID]) -> None:
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            return
        await self.pool.execute(
            "INSERT INTO access_log (user_id, action, case_id) SELECT $1, $2, unnest($3::uuid[])",
            user_id,
            action,
            ids,
        )

    async def readers_of(self, case_id: UUID) -> list[tuple[UUID, str]]:
        """(user id, action) of every recorded read of the case, oldest first."""
        rows = await self.pool.fetch(
            "SELECT user_id, action FROM access_log WHERE case_id = $1 ORDER BY id", case_id
        )
        return [(row["user_id"], row["action"]) for row in rows]
