"""Server-side sessions: the browser's cookie holds a random id, the table only its hash. A session
is alive until it is ended (sign-out, its user revoked, a password reset), until it has been idle
for the idle timeout, and never past its absolute expiry; each request it makes moves `last_seen_at`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from shared.db import Connection, Pool

from .model import User, hash_token
from .rows import USER_COLUMNS, user_of

# `last_seen_at` is written at most this often per session: a page and its assets do not each
# write a row, and the idle timeout is still kept to within this much
TOUCH_EVERY = timedelta(seconds=15)
# ended and expired sessions are deleted this long after, a few at each new sign-in
KEEP_ENDED = timedelta(days=1)
PRUNE_BATCH = 100


@dataclass(frozen=True)
class LiveSession:
    id_hash: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class SessionStore:
    def __init__(self, pool: Pool, schema: str) -> None:
        self.pool = pool
        self.table = f'"{schema}".sessions'
        self.users = f'"{schema}".users'

    async def start(self, user_id: UUID, lifetime: timedelta) -> str:
        """A new session for `user_id`; returns the id for the cookie (kept here only hashed)."""
        session_id = secrets.token_urlsafe(32)
        await self.pool.execute(
            f"INSERT INTO {self.table} (id_hash, user_id, expires_at) VALUES ($1, $2, now() + $3)",
            hash_token(session_id),
            user_id,
            lifetime,
        )
        await self._prune()
        return session_id

    async def user_for_session(self, session_id: str, idle_timeout: timedelta) -> User | None:
        """The active user of a live session, which counts as a request (it moves the idle
        deadline); None when the session has ended, expired, idled out, or never existed."""
        row = await self.pool.fetchrow(
            f"WITH live AS (SELECT id_hash, user_id, last_seen_at FROM {self.table}"
            "  WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > now()"
            "  AND last_seen_at > now() - $2::interval),"
            f" touched AS (UPDATE {self.table} s SET last_seen_at = now() FROM live"
            "  WHERE s.id_hash = live.id_hash AND live.last_seen_at < now() - $3::interval)"
            f" SELECT {USER_COLUMNS} FROM live JOIN {self.users} u ON u.id = live.user_id"
            " WHERE u.revoked_at IS NULL",
            hash_token(session_id),
            idle_timeout,
            TOUCH_EVERY,
        )
        return user_of(row) if row else None

    async def end(self, session_id: str, because: str) -> bool:
        ended = await self.pool.fetchval(
            f"UPDATE {self.table} SET ended_at = now(), ended_because = $2"
            " WHERE id_hash = $1 AND ended_at IS NULL RETURNING true",
            hash_token(session_id),
            because,
        )
        return bool(ended)

    async def end_all_of(self, user_id: UUID, because: str, *, connection: Connection | None = None) -> int:
        """End every live session of `user_id` (revocation, a password reset)."""
        result = await (connection or self.pool).execute(
            f"UPDATE {self.table} SET ended_at = now(), ended_because = $2"
            " WHERE user_id = $1 AND ended_at IS NULL",
            user_id,
            because,
        )
        return int(result.rsplit(" ", 1)[-1])

    async def live_of(self, user_id: UUID) -> list[LiveSession]:
        """The user's sessions not ended nor expired, newest first, for an admin to see and end
        (named by the hash of their id: the id itself is only ever in the user's cookie)."""
        rows = await self.pool.fetch(
            f"SELECT id_hash, created_at, last_seen_at, expires_at FROM {self.table}"
            " WHERE user_id = $1 AND ended_at IS NULL AND expires_at > now() ORDER BY created_at DESC",
            user_id,
        )
        return [LiveSession(r["id_hash"], r["created_at"], r["last_seen_at"], r["expires_at"]) for r in rows]

    async def end_by_admin(self, user_id: UUID, id_hash: str) -> bool:
        """End one session of `user_id` (an admin's act, recorded as `revoked`); False when there is
        no such live session of theirs."""
        ended = await self.pool.fetchval(
            f"UPDATE {self.table} SET ended_at = now(), ended_because = 'revoked'"
            " WHERE id_hash = $1 AND user_id = $2 AND ended_at IS NULL RETURNING true",
            id_hash,
            user_id,
        )
        return bool(ended)

    async def live_count(self, user_id: UUID) -> int:
        return int(
            await self.pool.fetchval(
                f"SELECT count(*) FROM {self.table}"
                " WHERE user_id = $1 AND ended_at IS NULL AND expires_at > now()",
                user_id,
            )
        )

    async def _prune(self) -> None:
        """Delete a few sessions that ended or expired long ago: bounded work, at each sign-in."""
        await self.pool.execute(
            f"DELETE FROM {self.table} WHERE id_hash IN (SELECT id_hash FROM {self.table}"
            " WHERE coalesce(ended_at, expires_at) < now() - $1::interval LIMIT $2)",
            KEEP_ENDED,
            PRUNE_BATCH,
        )
