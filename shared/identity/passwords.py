"""Passwords: the policy a new one must meet, and argon2id hashes (argon2-cffi's PasswordHasher).

The policy follows NIST SP 800-63B: a minimum length (15 by default: the password is the only
factor), a maximum long enough for pass phrases, no composition rules, and a check against what is
easy to guess — the user's own name, the service's name, commonly used passwords and patterns. The
common passwords and the guessability estimate come from zxcvbn (Dropbox's estimator, maintained as
the `zxcvbn` package): its 30,000 most common passwords and its dictionaries of names and words.

Hashing is slow and memory-hard on purpose (RFC 9106's second recommended profile by default:
64 MiB, 3 passes, 4 lanes), so it runs in a worker thread (argon2-cffi releases the GIL), at most
`concurrency` at a time: a burst of sign-ins waits rather than taking the memory of many at once.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MAX_LENGTH = 128
# zxcvbn's own default bound: past it its matching grows slow (a 128-character repeat takes ~0.3 s)
GUESSABILITY_CHECKED_LENGTH = 72
# zxcvbn's scale: 3 is "safely unguessable: moderate protection from an offline slow-hash attack"
MIN_GUESSABILITY_SCORE = 3
SERVICE_WORDS = ("homeward",)
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 15

    def problems(self, password: str, user_name: str) -> list[str]:
        """Why `password` may not be `user_name`'s; empty when it may. Pure, and fast enough to
        run on the event loop — which it must: zxcvbn keeps the user's words in a module global,
        so two calls at once in two threads could see each other's."""
        if len(password) < self.min_length:
            return [f"use at least {self.min_length} characters (a few words make a good password)"]
        if len(password) > MAX_LENGTH:
            return [f"use at most {MAX_LENGTH} characters"]
        if not password.strip():
            return ["a password cannot be only spaces"]
        folded = password.casefold()
        name = user_name.casefold()
        if name and (name in folded or folded in name):
            return ["a password may not contain the user name"]
        if folded in _COMMON:
            return ["this is a commonly used password"]
        estimate = zxcvbn(
            password[:GUESSABILITY_CHECKED_LENGTH],
            user_inputs=[user_name, *user_name.replace("-", ".").split("."), *SERVICE_WORDS],
            max_length=GUESSABILITY_CHECKED_LENGTH,
        )
        if int(estimate["score"]) < MIN_GUESSABILITY_SCORE:
            warning = str(estimate["feedback"].get("warning") or "").strip()
            return [
                "this password is easy to guess"
                + (f": {warning[:1].lower()}{warning[1:]}" if warning else "")
            ]
        return []


@dataclass(frozen=True)
class HashCost:
    """Argon2id's cost: passes, memory (KiB) and lanes. Lower only in tests."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


class Passwords:
    """Hash and verify passwords. `verify` costs the same whether or not there is a hash to verify
    against, so the answer's timing does not tell whether a user exists or has a password."""

    def __init__(self, cost: HashCost | None = None, *, concurrency: int = 2) -> None:
        cost = cost or HashCost()
        self.hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        self._slots = asyncio.Semaphore(concurrency)
        # verified against when there is no hash, so a missing user costs what a wrong password costs
        self._decoy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            self.hasher.verify(stored or self._decoy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was hashed with other parameters than today's (rehash at sign-in)."""
        return bool(self.hasher.check_needs_rehash(stored))
