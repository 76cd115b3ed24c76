"""The cache of verified tokens (shared.identity.verified), on its own: what it keeps, for how
long, and what it refuses to keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from shared.identity.model import Role, User
from shared.identity.verified import VerifiedTokens, channel_of


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def user(name: str = "ana") -> User:
    return User(id=uuid4(), name=name, role=Role.CASEWORKER, programmes=frozenset({"NL-AVRR"}))


def listening(max_age_s: float = 30.0, clock: Clock | None = None) -> VerifiedTokens:
    cache = VerifiedTokens(max_age_s=max_age_s, timer=clock or Clock())
    cache.listening = True
    return cache


def test_a_kept_token_is_served_until_its_maximum_age() -> None:
    clock = Clock()
    cache, ana = listening(30, clock), user()
    cache.put("h", ana, None, cache.generation)
    clock.now = 29.9
    assert cache.get("h") == ana
    clock.now = 30.1
    assert cache.get("h") is None


def test_never_past_the_tokens_own_expiry() -> None:
    clock = Clock()
    cache, ana = listening(30, clock), user()
    cache.put("h", ana, datetime.now(UTC) + timedelta(seconds=5), cache.generation)
    clock.now = 6
    assert cache.get("h") is None
    cache.put("gone", ana, datetime.now(UTC) - timedelta(seconds=1), cache.generation)
    assert cache.get("gone") is None


def test_a_read_made_before_a_notice_is_not_kept() -> None:
    """A lookup read the token as valid; a revocation's notice came before it stored the result."""
    cache, ana = listening(), user()
    before = cache.generation
    cache.forget_user(str(ana.id))
    cache.put("h", ana, None, before)
    assert cache.get("h") is None


def test_a_notice_forgets_only_its_users_tokens() -> None:
    cache, ana, bo = listening(), user("ana"), user("bo")
    cache.put("a1", ana, None, cache.generation)
    cache.put("a2", ana, None, cache.generation)
    cache.put("b1", bo, None, cache.generation)
    cache.forget_user(str(ana.id))
    assert cache.get("a1") is None
    assert cache.get("a2") is None
    assert cache.get("b1") == bo


def test_nothing_is_kept_or_served_while_nobody_listens() -> None:
    cache, ana = listening(), user()
    cache.put("h", ana, None, cache.generation)
    cache.listening = False
    assert cache.get("h") is None
    cache.put("other", ana, None, cache.generation)
    cache.listening = True
    assert cache.get("other") is None


def test_bounded_in_size() -> None:
    cache = VerifiedTokens(max_size=3)
    cache.listening = True
    for n in range(10):
        cache.put(f"h{n}", user(), None, cache.generation)
    assert len(cache) == 3


def test_a_channel_name_fits_postgresqls_limit_for_any_schema() -> None:
    assert len(channel_of("s" * 63)) < 64
    assert channel_of("a") != channel_of("b")
