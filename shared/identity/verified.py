"""Verified API tokens kept in memory, so that a request with a bearer token needs no database
round trip — and a revocation that ends them at once, in every replica.

`VerifiedTokens` maps a token's hash to the user it was verified for (cachetools' `TLRUCache`:
bounded in size, each entry living until the token's own expiry or `max_age_s`, whichever comes
first). Every change of a user or a token row (a token or a user revoked, a role, programme or
office changed, a language chosen, an operator's UPDATE) notifies in its own transaction — the
tables' trigger does, sql_identity/0500: PostgreSQL delivers the notice to every process
LISTENing on the identity schema's channel when that transaction commits, and each drops the
user's entries. The process that made the change forgets at once (`TokenStore.forget_here`).

`IdentityListener` keeps one dedicated connection LISTENing (not one of the pool's: the pool
closes and replaces its connections, after 50,000 queries or 300 idle seconds, and a LISTEN ends
with its connection). The cache is served from only while that connection is up:
when it is lost, nothing is served or cached until it is back, and then the whole cache is cleared
(a notice sent while nobody listened is lost). `max_age_s` is the safety net for a connection that
died without anyone noticing (between two pings).

A lookup racing a revocation: the lookup reads the token as valid, the revocation commits and its
notice arrives before the lookup stores its result. Every notice moves `generation`; a result read
under an older generation is not stored (`put`), so the cache never keeps what a notice cleared.

Sessions (cookies) are not cached: each request of a session moves its idle deadline, a write
anyway (`SessionStore.user_for_session`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from cachetools import TLRUCache

from .model import User

log = structlog.get_logger("shared.identity.verified")


def channel_of(schema: str) -> str:
    """The identity schema's notice channel (a channel name is at most 63 bytes; a schema name
    may be that long already, so it is hashed)."""
    return "homeward_identity_" + hashlib.sha256(schema.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class _Entry:
    user: User
    until: float  # on the cache's timer


class VerifiedTokens:
    def __init__(
        self, *, max_size: int = 10_000, max_age_s: float = 30.0, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age_s = max_age_s
        self.timer = timer
        self._entries: TLRUCache[str, _Entry] = TLRUCache(
            maxsize=max_size, ttu=lambda _key, entry, _now: entry.until, timer=timer
        )
        self.generation = 0
        self.listening = False  # set by the listener: nothing is served or kept while it is down

    def get(self, token_hash: str) -> User | None:
        if not self.listening:
            return None
        entry = self._entries.get(token_hash)
        return entry.user if entry is not None else None

    def put(self, token_hash: str, user: User, expires_at: datetime | None, generation: int) -> None:
        """Keep what a lookup read under `generation` (the value before it read): not if a notice
        came since, nor while nobody listens, nor past the token's own expiry."""
        if not self.listening or generation != self.generation or self.max_age_s <= 0:
            return
        life = self.max_age_s
        if expires_at is not None:
            life = min(life, (expires_at - datetime.now(UTC)).total_seconds())
        if life > 0:
            self._entries[token_hash] = _Entry(user, self.timer() + life)

    def forget_user(self, user_id: str) -> None:
        self.generation += 1
        for token_hash, entry in list(self._entries.items()):
            if str(entry.user.id) == user_id:
                self._entries.pop(token_hash, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class IdentityListener:
    """`start()` a task that keeps a connection LISTENing for `schema`'s notices and applies them
    to `tokens`; `stop()` ends it. `connect` makes the dedicated connection."""

    def __init__(
        self,
        tokens: VerifiedTokens,
        schema: str,
        connect: Callable[[], Awaitable[Any]],
        *,
        ping_every_s: float = 5.0,
        retry_after_s: float = 1.0,
    ) -> None:
        self.tokens = tokens
        self.channel = channel_of(schema)
        self.connect = connect
        self.ping_every_s = ping_every_s
        self.retry_after_s = retry_after_s
        self._task: asyncio.Task[None] | None = None
        self._connection: Any = None
        self.up = asyncio.Event()  # set while listening (tests wait for it)

    @property
    def server_pid(self) -> int | None:
        """The listening connection's server process (None while not connected)."""
        return self._connection.get_server_pid() if self._connection is not None else None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"identity-listener-{self.channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _on_notice(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self.tokens.forget_user(payload)

    async def _run(self) -> None:
        while True:
            lost = asyncio.Event()
            try:
                self._connection = await self.connect()
                self._connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await self._connection.add_listener(self.channel, self._on_notice)
                self.tokens.clear()  # whatever was sent while nobody listened is lost: start afresh
                self.tokens.listening = True
                self.up.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self.ping_every_s)
                        break
                    # a connection can die without a word (a dropped network): ask it something
                    await self._connection.fetchval("SELECT 1", timeout=self.ping_every_s)
                log.warning("identity notices: the listening connection was lost; reconnecting")
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("identity notices: not listening; the token cache is off", error=repr(error))
            finally:
                self.tokens.listening = False
                self.tokens.clear()
                self.up.clear()
                await self._close()
            await asyncio.sleep(self.retry_after_s)

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2.0)
