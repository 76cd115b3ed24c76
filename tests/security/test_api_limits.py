"""Request size limits, per-token rate limits on writes and security headers (OWASP API4, API8),
on intake's real app; the token bucket itself with a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.http.security import TokenBuckets, caller_key
from shared.identity.model import Role
from tests.integration.intake.helpers import family

from .intake_app import MAX_BODY, NL, WRITE_BURST, SecuredIntake
from .intake_app import secured_intake as secured_intake  # the module's app


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(capacity=3, per_second=0.5, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token comes back every 2 s
    assert buckets.take("b") == 0.0  # another caller has a bucket of its own
    now[0] = 2.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0


def test_buckets_are_bounded_and_keyed_by_a_hash_of_the_token() -> None:
    buckets = TokenBuckets(capacity=1, per_second=1, max_keys=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        buckets.take(key)
    assert buckets.take("a") == 0.0  # forgotten (least recently used), so full again
    scope = {"headers": [(b"authorization", b"Bearer hw_secret")], "client": ("10.0.0.9", 1)}
    key = caller_key(scope)
    assert key.startswith("token:")
    assert "hw_secret" not in key
    cookie = {"headers": [(b"cookie", b"theme=dark; homeward_session=hw_secret")], "client": None}
    assert caller_key(cookie) == key  # a session cookie gets a bucket of its own, keyed by its hash
    assert caller_key({"headers": [], "client": ("10.0.0.9", 1)}) == "address:10.0.0.9"


@pytest.mark.integration
async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_stored(
    secured_intake: SecuredIntake,
) -> None:
    app = secured_intake
    before = await app.pool.fetchval("SELECT count(*) FROM cases")
    big = b'{"members": [], "padding": "' + b"x" * MAX_BODY + b'"}'
    declared = await app.client.post(
        "/v1/cases", content=big, headers={**app.auth("supervisor"), "Content-Type": "application/json"}
    )

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(4):
            yield b"x" * (MAX_BODY // 2)

    streamed = await app.client.post(
        "/v1/cases", content=chunks(), headers={**app.auth("supervisor"), "Content-Type": "application/json"}
    )
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert "larger than" in declared.json()["detail"]
    assert await app.pool.fetchval("SELECT count(*) FROM cases") == before


@pytest.mark.integration
async def test_writes_past_a_tokens_burst_get_429_with_retry_after_and_others_go_on(
    secured_intake: SecuredIntake,
) -> None:
    app = secured_intake
    _, token = await app.identity.add_user("busy", Role.CASEWORKER)
    busy = {"Authorization": f"Bearer {token}"}
    answers = [
        (await app.client.post("/v1/cases", json={}, headers=busy)).status_code for _ in range(WRITE_BURST)
    ]
    assert answers == [422] * WRITE_BURST  # each reached the handler (and its validation)
    limited = await app.client.post("/v1/cases", json={}, headers=busy)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    # reads are not limited, nor is anybody else's token
    assert (await app.client.get("/v1/cases", headers=busy)).status_code == 200
    assert (await app.client.post("/v1/cases", json={}, headers=app.auth("supervisor"))).status_code == 422


@pytest.mark.integration
async def test_answers_carry_security_headers(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    for response in (
        await app.client.get("/v1/cases", headers=app.auth("supervisor")),
        await app.client.get("/"),
        await app.client.get("/v1/cases"),  # a 401 too
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.integration
async def test_a_nul_character_anywhere_is_a_422_and_stores_nothing(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    supervisor = app.auth("supervisor")
    body = family(programme_id=NL)
    body["members"][0]["name"] = "Ana\u0000Petrovska"  # PostgreSQL text cannot hold NUL
    before = await app.pool.fetchval("SELECT count(*) FROM cases")
    answers = [
        await app.client.post("/v1/cases", json=body, headers=supervisor),
        await app.client.get("/v1/cases", params={"q": "a\x00b"}, headers=supervisor),
        await app.client.post(
            "/v1/cases", json=family(programme_id=NL), headers={**supervisor, "Idempotency-Key": "k\x00"}
        ),
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert await app.pool.fetchval("SELECT count(*) FROM cases") == before
