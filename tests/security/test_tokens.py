"""Tokens that expire and can be revoked (OWASP API2), from the shell as an operator does it:
`homeward users add --programme ... --expires-in-days N` and `homeward users revoke NAME`."""

from __future__ import annotations

import asyncio

import pytest

from homeward.cli import main

from .intake_app import NL, SecuredIntake
from .intake_app import secured_intake as secured_intake  # the module's app

pytestmark = pytest.mark.integration


async def homeward(
    app: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    """Run `homeward ARGV` against the app's database and identity schema; (exit code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("HOMEWARD_IDENTITY_SCHEMA", app.settings.identity_schema)
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))  # the command runs its own event loop
    out, err = capsys.readouterr()
    return code, out, err


async def test_a_token_revoked_from_the_shell_stops_working_at_once(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "add", "a.petrovska", "--role", "caseworker",
        "--programme", NL, "--expires-in-days", "30",
    )  # fmt: skip
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert f"programmes {NL}" in out
    assert "expires" in out
    headers = {"Authorization": f"Bearer {token}"}
    assert (await app.client.get("/v1/cases", headers=headers)).status_code == 200

    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "revoke", "a.petrovska")
    assert (code, out.strip()) == (0, "revoked a.petrovska")
    refused = await app.client.get("/v1/cases", headers=headers)
    assert refused.status_code == 401
    page = await app.client.get("/", headers={"Cookie": f"homeward_token={token}"})
    assert "Sign in" in page.text  # the page's session ends with it

    code, _, err = await homeward(app, monkeypatch, capsys, "users", "revoke", "a.petrovska")
    assert code == 1
    assert "no active user" in err


async def test_an_expired_token_is_refused(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    user, token = await app.identity.add_user("short-lived", "auditor")  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await app.client.get("/v1/cases", headers=headers)).status_code == 200
    await app.pool.execute(
        f"UPDATE \"{app.settings.identity_schema}\".users SET expires_at = now() - interval '1 second'"
        " WHERE id = $1",
        user.id,
    )
    assert (await app.client.get("/v1/cases", headers=headers)).status_code == 401


async def test_a_scope_must_name_known_programmes(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await homeward(
        secured_intake,
        monkeypatch,
        capsys,
        "users",
        "add",
        "x",
        "--role",
        "caseworker",
        "--programme",
        "NL-AVVR",
    )
    assert code == 2
    assert "unknown programme(s): NL-AVVR" in err
    assert "token" not in out
