"""Throttling failed sign-ins, per typed account name and per client address.

Each attempt is counted BEFORE its password is checked (`claim`), under a row lock per key, so a
burst of parallel guesses cannot all slip in before the first failure is written; a success gives
its count back (`succeeded`). The first `free` failures cost nothing; from then on each failure
sets a wait that doubles, from the initial delay up to the maximum. An attempt during a wait is
refused without checking the password, and counts nothing. The name's key is kept whether or not a
user has that name, so the answers never tell which names exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.db import Pool, transaction


@dataclass(frozen=True)
class ThrottlePolicy:
    free_per_account: int = 5
    free_per_address: int = 20
    initial_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=1)  # failures older than this are forgotten


@dataclass(frozen=True)
class Attempts:
    """One key's failed attempts as stored."""

    failures: int
    last_at: datetime | None
    blocked_until: datetime | None


def delay_after(failures: int, free: int, policy: ThrottlePolicy) -> timedelta:
    """How long the next attempt must wait after `failures` failures in a row."""
    if failures < free:
        return timedelta(0)
    doublings = min(failures - free, 32)  # 2**32 times anything passes any maximum
    return min(policy.initial_delay * (1 << doublings), policy.max_delay)


def wait_before(attempts: Attempts, now: datetime) -> timedelta:
    """How long an attempt must wait now (zero: it may go ahead)."""
    if attempts.blocked_until is None or attempts.blocked_until <= now:
        return timedelta(0)
    return attempts.blocked_until - now


def counted(attempts: Attempts, now: datetime, free: int, policy: ThrottlePolicy) -> Attempts:
    """The key's attempts once one more is counted (as a failure until it succeeds)."""
    fresh = attempts.last_at is None or attempts.last_at < now - policy.window
    failures = 1 if fresh else attempts.failures + 1
    delay = delay_after(failures, free, policy)
    return Attempts(failures, now, now + delay if delay else None)


def account_key(name: str) -> str:
    """The typed name's key, as a hash: what people type in the name box is sometimes their
    password, and it is not kept (surrogates are kept too: a name nobody can have is throttled)."""
    folded = name.strip().casefold().encode("utf-8", "surrogatepass")
    return "account:" + hashlib.sha256(folded).hexdigest()


def address_key(address: str) -> str:
    return "address:" + address


class SignInThrottle:
    def __init__(self, pool: Pool, schema: str, policy: ThrottlePolicy | None = None) -> None:
        self.pool = pool
        self.table = f'"{schema}".sign_in_throttle'
        self.policy = policy or ThrottlePolicy()

    async def claim(self, name: str, address: str) -> float:
        """Count an attempt for `name` from `address`: 0 when it may go ahead, else the seconds
        until one may (and nothing is counted)."""
        free = {
            account_key(name): self.policy.free_per_account,
            address_key(address): self.policy.free_per_address,
        }
        keys = sorted(free)  # every claimer locks in this order: no deadlock between two of them
        async with transaction(self.pool) as connection:
            await connection.execute(
                f"INSERT INTO {self.table} (key, failures, last_at) SELECT k, 0, NULL"
                " FROM unnest($1::text[]) AS k ON CONFLICT (key) DO NOTHING",
                keys,
            )
            rows = await connection.fetch(
                f"SELECT key, failures, last_at, blocked_until, now() AS now FROM {self.table}"
                " WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE",
                keys,
            )
            now = rows[0]["now"]
            stored = {r["key"]: Attempts(r["failures"], r["last_at"], r["blocked_until"]) for r in rows}
            wait = max(wait_before(a, now) for a in stored.values())
            if wait:
                return max(wait.total_seconds(), 1.0)
            after = {key: counted(stored[key], now, free[key], self.policy) for key in keys}
            await connection.execute(
                f"UPDATE {self.table} t SET failures = n.failures, last_at = n.last_at,"
                " blocked_until = n.blocked_until"
                " FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::timestamptz[])"
                " AS n(key, failures, last_at, blocked_until) WHERE t.key = n.key",
                keys,
                [after[k].failures for k in keys],
                [after[k].last_at for k in keys],
                [after[k].blocked_until for k in keys],
            )
        return 0.0

    async def succeeded(self, name: str, address: str) -> None:
        """The claimed attempt succeeded: the account starts afresh; the address gets its count
        back (others behind the same office address keep theirs)."""
        async with transaction(self.pool) as connection:
            await connection.execute(f"DELETE FROM {self.table} WHERE key = $1", account_key(name))
            await connection.execute(
                f"UPDATE {self.table} SET failures = greatest(failures - 1, 0),"
                " blocked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE blocked_until END"
                " WHERE key = $1",
                address_key(address),
                self.policy.free_per_address,
            )
        await self._prune()

    async def _prune(self) -> None:
        """Forget a few keys whose failures are past the window: bounded work, at each success."""
        await self.pool.execute(
            f"DELETE FROM {self.table} WHERE key IN (SELECT key FROM {self.table}"
            " WHERE last_at < now() - $1::interval AND (blocked_until IS NULL OR blocked_until < now())"
            " LIMIT 100)",
            self.policy.window,
        )
