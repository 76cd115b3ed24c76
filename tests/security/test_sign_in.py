"""People sign in with a name and a password into a server-side session (OWASP API2, broken
authentication): the cookie holds only a random id; sign-out, a revoked user and a reset password
end the session at once; sessions idle out and have an absolute lifetime; failed attempts are
throttled per name and per address with a growing wait (429 with Retry-After), and nothing in the
answers tells whether a name exists."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from services.intake.app import create_app
from shared.http.sessions import COOKIE, SECURE_COOKIE
from shared.identity.model import Role, User, hash_token
from shared.identity.store import IdentityStore
from shared.identity.throttle import account_key
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.support import TEST_PASSWORD, add_person, sign_in

pytestmark = pytest.mark.integration

FREE_PER_ACCOUNT = 3


@dataclass
class Served:
    client: httpx.AsyncClient
    settings: Settings
    identity: IdentityStore
    admin_token: str
    counter: int = 0

    async def person(self, role: Role = Role.CASEWORKER, **scope: Any) -> User:
        self.counter += 1
        user, _ = await add_person(
            self.identity, f"person-{self.counter}.{time.monotonic_ns()}", role, **scope
        )
        assert isinstance(user, User)
        return user

    def browser(self, address: str = "10.0.0.1") -> httpx.AsyncClient:
        """A client of its own (its own cookies), coming from `address`."""
        transport = httpx.ASGITransport(app=self.client._transport.app, client=(address, 40000))  # type: ignore[attr-defined]
        return httpx.AsyncClient(transport=transport, base_url="http://intake.test")


@pytest.fixture(scope="module")
async def served(kafka_bootstrap: str, database_url: str) -> AsyncIterator[Served]:
    isolation = new_isolation(
        kafka_bootstrap,
        database_url,
        sign_in_free_failures_per_account=FREE_PER_ACCOUNT,
        sign_in_free_failures_per_address=8,
        sign_in_delay_initial_s=30,
        session_idle_timeout_s=600,
    )
    app = create_app(isolation.settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                _, admin = await add_person(app.state.identity, "the-admin", Role.ADMIN)
                yield Served(client, isolation.settings, app.state.identity, admin)
    finally:
        await release_isolation(isolation)


async def test_a_person_signs_in_with_a_password_and_the_cookie_holds_only_a_session_id(
    served: Served,
) -> None:
    user = await served.person()
    async with served.browser() as browser:
        page = await browser.get("/")
        assert 'name="password"' in page.text
        assert "token" not in page.text.lower()
        signed_in = await browser.post("/signin", data={"name": user.name.upper(), "password": TEST_PASSWORD})
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        session_id = signed_in.cookies[COOKIE]
        cases = await browser.get("/")

    assert cases.status_code == 200
    assert "Cases" in cases.text
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # not behind TLS here (see the next test)
    assert f"Max-Age={int(served.settings.session_lifetime_s)}" in cookie
    assert not session_id.startswith("hw_")  # a random session id, never an API token
    stored = await served.identity.pool.fetch(
        f'SELECT id_hash FROM "{served.identity.schema}".sessions WHERE user_id = $1', user.id
    )
    assert [r["id_hash"] for r in stored] == [hash_token(session_id)]  # only its hash is kept


async def test_behind_tls_the_cookie_is_secure_and_host_bound(
    kafka_bootstrap: str, database_url: str
) -> None:
    isolation = new_isolation(kafka_bootstrap, database_url, behind_tls=True)
    app = create_app(isolation.settings)
    try:
        async with app.router.lifespan_context(app):
            user, _ = await add_person(app.state.identity, "tls-user", Role.CASEWORKER)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://intake.test") as browser:
                signed_in = await browser.post("/signin", data={"name": user.name, "password": TEST_PASSWORD})
                cases = await browser.get("/")
    finally:
        await release_isolation(isolation)
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_COOKIE}=")
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert "Cases" in cases.text


async def test_sign_out_ends_the_session_on_the_server_at_once(served: Served) -> None:
    user = await served.person()
    headers = await sign_in(served.client, user.name, TEST_PASSWORD)
    assert "Cases" in (await served.client.get("/", headers=headers)).text
    assert (await served.client.get("/v1/cases", headers=headers)).status_code == 200  # the API too

    out = await served.client.post("/signout", headers=headers)
    assert out.status_code == 303
    assert f"{COOKIE}=" in out.headers["set-cookie"]  # cleared in the browser
    # the old cookie, replayed, no longer opens anything: the session ended on the server
    assert 'name="password"' in (await served.client.get("/", headers=headers)).text
    assert (await served.client.get("/v1/cases", headers=headers)).status_code == 401


async def test_revoking_the_user_or_resetting_the_password_ends_their_sessions(served: Served) -> None:
    admin = {"Authorization": f"Bearer {served.admin_token}"}
    revoked, reset = await served.person(), await served.person()
    revoked_session = await sign_in(served.client, revoked.name, TEST_PASSWORD)
    reset_session = await sign_in(served.client, reset.name, TEST_PASSWORD)

    assert (await served.client.post(f"/v1/users/{revoked.id}/revoke", headers=admin)).status_code == 200
    new_password = "another long phrase for the reset"
    answer = await served.client.post(
        f"/v1/users/{reset.id}/password", json={"password": new_password}, headers=admin
    )
    assert answer.status_code == 204, answer.text

    for session in (revoked_session, reset_session):
        assert (await served.client.get("/v1/cases", headers=session)).status_code == 401
        assert 'name="password"' in (await served.client.get("/", headers=session)).text
    async with served.browser() as browser:
        refused = await browser.post("/signin", data={"name": revoked.name, "password": TEST_PASSWORD})
        old = await browser.post("/signin", data={"name": reset.name, "password": TEST_PASSWORD})
        new = await browser.post("/signin", data={"name": reset.name, "password": new_password})
    assert (refused.status_code, old.status_code, new.status_code) == (401, 401, 303)


async def test_a_session_idles_out_and_never_outlives_its_lifetime(served: Served) -> None:
    idle, old = await served.person(), await served.person()
    idle_session = await sign_in(served.client, idle.name, TEST_PASSWORD)
    old_session = await sign_in(served.client, old.name, TEST_PASSWORD)
    table = f'"{served.identity.schema}".sessions'
    # the clock moved on: one has been idle past the timeout, the other is busy but too old
    await served.identity.pool.execute(
        f"UPDATE {table} SET last_seen_at = now() - interval '11 minutes' WHERE user_id = $1", idle.id
    )
    await served.identity.pool.execute(
        f"UPDATE {table} SET expires_at = now() - interval '1 second' WHERE user_id = $1", old.id
    )
    assert (await served.client.get("/v1/cases", headers=idle_session)).status_code == 401
    assert (await served.client.get("/v1/cases", headers=old_session)).status_code == 401


async def test_each_request_keeps_a_session_alive(served: Served) -> None:
    user = await served.person()
    session = await sign_in(served.client, user.name, TEST_PASSWORD)
    table = f'"{served.identity.schema}".sessions'
    await served.identity.pool.execute(
        f"UPDATE {table} SET last_seen_at = now() - interval '9 minutes' WHERE user_id = $1", user.id
    )
    assert (await served.client.get("/v1/cases", headers=session)).status_code == 200
    seen = await served.identity.pool.fetchval(
        f"SELECT now() - last_seen_at < interval '1 minute' FROM {table} WHERE user_id = $1", user.id
    )
    assert seen is True


async def test_failed_sign_ins_wait_longer_and_longer_on_the_page_and_the_api(served: Served) -> None:
    user = await served.person()
    async with served.browser("10.0.1.1") as page, served.browser("10.0.1.2") as api:
        failures = [
            (await page.post("/signin", data={"name": user.name, "password": "wrong guess"})).status_code
            for _ in range(FREE_PER_ACCOUNT)
        ]
        throttled_page = await page.post("/signin", data={"name": user.name, "password": TEST_PASSWORD})
        throttled_api = await api.post("/v1/session", json={"name": user.name, "password": TEST_PASSWORD})

    assert failures == [401] * FREE_PER_ACCOUNT
    # even the right password waits now: the attempt is refused before the password is looked at
    assert throttled_page.status_code == 429
    assert "Too many failed sign-ins" in throttled_page.text
    assert int(throttled_page.headers["retry-after"]) == 30
    assert throttled_api.status_code == 429
    assert throttled_api.headers["content-type"] == "application/problem+json"
    assert throttled_api.json()["type"] == "/problems/rate-limited"
    # the account's wait, less the moment since the page's attempt started it
    assert int(throttled_api.headers["retry-after"]) in (29, 30)

    # the wait is over (as if 30 s had passed): one more failure doubles it
    key = account_key(user.name)
    table = f'"{served.identity.schema}".sign_in_throttle'
    await served.identity.pool.execute(f"UPDATE {table} SET blocked_until = now() WHERE key = $1", key)
    async with served.browser("10.0.1.3") as page:
        again = await page.post("/signin", data={"name": user.name, "password": "still wrong"})
        doubled = await page.post("/signin", data={"name": user.name, "password": TEST_PASSWORD})
    assert again.status_code == 401
    assert doubled.status_code == 429
    assert int(doubled.headers["retry-after"]) == 60


async def test_a_name_nobody_has_is_answered_exactly_like_a_real_one(served: Served) -> None:
    real = await served.person()
    answers: dict[str, list[tuple[int, str, str | None]]] = {}
    for name in (real.name, "nobody.has.this.name"):
        async with served.browser(f"10.0.2.{len(answers) + 1}") as browser:
            seen = []
            for _ in range(FREE_PER_ACCOUNT + 1):
                answer = await browser.post(
                    "/v1/session", json={"name": name, "password": "not the password"}
                )
                seen.append((answer.status_code, answer.json()["detail"], answer.headers.get("retry-after")))
            answers[name] = seen
    assert answers[real.name] == answers["nobody.has.this.name"]
    assert [status for status, _, _ in answers[real.name]] == [401] * FREE_PER_ACCOUNT + [429]
    # and the typed names are not kept (someone may have typed a password into the name box)
    keys = await served.identity.pool.fetch(f'SELECT key FROM "{served.identity.schema}".sign_in_throttle')
    assert not any(real.name.casefold() in r["key"] or "nobody" in r["key"] for r in keys)


async def test_one_address_guessing_many_names_is_throttled_too(served: Served) -> None:
    async with served.browser("10.0.3.1") as browser, served.browser("10.0.3.2") as elsewhere:
        statuses = [
            (await browser.post("/v1/session", json={"name": f"guess-{i}", "password": "x"})).status_code
            for i in range(9)
        ]
        user = await served.person()
        blocked = await browser.post("/v1/session", json={"name": user.name, "password": TEST_PASSWORD})
        other_place = await elsewhere.post("/v1/session", json={"name": user.name, "password": TEST_PASSWORD})
    assert statuses == [401] * 8 + [429]  # 8 free failures per address in this module's settings
    assert blocked.status_code == 429
    assert other_place.status_code == 201  # the person, from elsewhere, is not locked out


async def test_the_api_session_says_who_is_signed_in_and_signs_out(served: Served) -> None:
    user = await served.person(Role.SUPERVISOR, office="skopje")
    async with served.browser("10.0.4.1") as browser:
        started = await browser.post("/v1/session", json={"name": user.name, "password": TEST_PASSWORD})
        me = await browser.get("/v1/session")
        ended = await browser.delete("/v1/session")
        after = await browser.get("/v1/session")
    assert started.status_code == 201, started.text
    assert started.json()["name"] == user.name
    assert (me.status_code, me.json()["role"], me.json()["office"]) == (200, "supervisor", "skopje")
    assert ended.status_code == 204
    assert after.status_code == 401


async def test_a_write_with_the_session_cookie_from_another_site_is_refused(served: Served) -> None:
    user = await served.person()
    session = await sign_in(served.client, user.name, TEST_PASSWORD)
    forged = await served.client.post(
        "/v1/cases", json={}, headers={**session, "Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    signed_out = await served.client.post("/signout", headers={**session, "Origin": "https://evil.example"})
    assert signed_out.status_code == 303
    assert (await served.client.get("/v1/cases", headers=session)).status_code == 200  # still signed in
