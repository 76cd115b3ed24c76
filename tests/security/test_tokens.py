"""Tokens that expire and can be revoked (OWASP API2), and users made, changed and revoked from the
shell as an operator does it: `homeward users add|grant|revoke|token|revoke-token|show`."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest

from homeward.cli import main
from tests.support import eventually, every_programme, sign_in

from .intake_app import NL, SecuredIntake
from .intake_app import secured_intake as secured_intake  # the module's app

pytestmark = pytest.mark.integration


async def homeward(
    app: SecuredIntake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """Run `homeward ARGV` against the app's database and identity schema; (exit code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("HOMEWARD_IDENTITY_SCHEMA", app.settings.identity_schema)
    for cost in ("TIME_COST", "MEMORY_KIB", "PARALLELISM"):  # as cheap as the app's (tests/conftest.py)
        setting = f"password_hash_{cost.lower()}"
        monkeypatch.setenv(f"HOMEWARD_PASSWORD_HASH_{cost}", str(getattr(app.settings, setting)))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))  # the command runs its own event loop
    out, err = capsys.readouterr()
    return code, out, err


async def test_a_token_expires_by_default_and_a_longer_one_must_be_asked_for(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "add", "script-1", "--role", "auditor", "--programme", NL
    )
    assert code == 0, out
    expiry = datetime.strptime(out.split("expires ")[1][:10], "%Y-%m-%d").replace(tzinfo=UTC)
    assert abs(expiry - (datetime.now(UTC) + timedelta(days=90))) < timedelta(days=1)
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "token", "script-1", "--expires-in-days", "365"
    )
    assert code == 0
    expiry = datetime.strptime(out.split("expires ")[1][:10], "%Y-%m-%d").replace(tzinfo=UTC)
    assert abs(expiry - (datetime.now(UTC) + timedelta(days=365))) < timedelta(days=1)


async def test_a_user_revoked_from_the_shell_loses_every_session_and_token_at_once(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    password = "a pass phrase for the shell test"
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "add", "a.petrovska", "--role", "caseworker",
        "--programme", NL, "--password-stdin", "--token", "--expires-in-days", "30", stdin=password + "\n",
    )  # fmt: skip
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert f"programmes {NL}" in out
    assert "with a password" in out
    headers = {"Authorization": f"Bearer {token}"}
    session = await sign_in(app.client, "a.petrovska", password)
    assert (await app.client.get("/v1/cases", headers=headers)).status_code == 200
    assert (await app.client.get("/v1/cases", headers=session)).status_code == 200

    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "revoke", "a.petrovska")
    assert (code, out.strip()) == (0, "revoked a.petrovska")

    # the token: as soon as the revocation's notice reaches the service (shared.identity.verified)
    async def refused() -> bool:
        return (await app.client.get("/v1/cases", headers=headers)).status_code == 401

    await eventually(refused, timeout=5, what="the revoked user's token refused")
    assert 'name="password"' in (await app.client.get("/", headers=session)).text  # signed out

    code, _, err = await homeward(app, monkeypatch, capsys, "users", "revoke", "a.petrovska")
    assert code == 1
    assert "no active user" in err


async def test_one_token_is_revoked_from_the_shell_and_the_others_go_on(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "add", "robot", "--role", "auditor", "--all-programmes"
    )
    first = out.strip().splitlines()[-1]
    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "token", "robot")
    second = out.strip().splitlines()[-1]
    token_id = out.split("token ")[1].split(" ")[0]
    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "revoke-token", token_id)
    assert (code, out.strip()) == (0, f"revoked token {token_id}")
    assert (
        await app.client.get("/v1/cases", headers={"Authorization": f"Bearer {second}"})
    ).status_code == 401
    assert (
        await app.client.get("/v1/cases", headers={"Authorization": f"Bearer {first}"})
    ).status_code == 200


async def test_a_grant_from_the_shell_is_recorded_with_who_gave_it(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    await homeward(
        app, monkeypatch, capsys, "users", "add", "m.stojanov", "--role", "caseworker", "--programme", NL
    )
    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "grant", "m.stojanov", "--role", "supervisor", "--all-programmes",
        "--office", "skopje", "--case-scope", "office",
    )  # fmt: skip
    assert code == 0, out
    assert "(supervisor)" in out
    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "show", "m.stojanov")
    granted, changed = out.strip().splitlines()[:2]
    assert " granted caseworker programmes=NL-AVRR office=- case-scope=programmes by cli:" in granted
    assert f" changed supervisor programmes={','.join(every_programme())} office=skopje" in changed
    assert "case-scope=office by cli:" in changed


async def test_an_expired_token_is_refused(secured_intake: SecuredIntake) -> None:
    app = secured_intake
    user, token = await app.identity.add_user("short-lived", "auditor", programmes=[NL])  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await app.client.get("/v1/cases", headers=headers)).status_code == 200
    await app.pool.execute(
        f"UPDATE \"{app.settings.identity_schema}\".api_tokens SET expires_at = now() - interval '1 second'"
        " WHERE user_id = $1",
        user.id,
    )

    # the service keeps verified tokens in memory: an operator's UPDATE reaches it through the
    # table's notice (sql_identity/0500), delivered when the UPDATE commits, asynchronously
    async def refused() -> bool:
        return (await app.client.get("/v1/cases", headers=headers)).status_code == 401

    await eventually(refused, timeout=5, what="the expired token refused")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--programme", "NL-AVVR"], "programmes: unknown programme(s): NL-AVVR"),
        (["--case-scope", "office"], "office: a user limited to their office needs an office"),
    ],
)
async def test_a_scope_must_name_known_programmes_and_an_office_where_needed(
    secured_intake: SecuredIntake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    code, out, err = await homeward(
        secured_intake, monkeypatch, capsys, "users", "add", "x", "--role", "caseworker", *argv
    )
    assert code == 2
    assert message in err
    assert "token" not in out


async def test_a_weak_password_is_refused_from_the_shell_too(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await homeward(
        secured_intake, monkeypatch, capsys, "users", "add", "weak", "--role", "caseworker",
        "--programme", NL, "--password-stdin", stdin="password1234567890\n",
    )  # fmt: skip
    assert code == 2
    assert "password: " in err


async def test_a_partners_staff_member_is_bound_from_the_shell_to_a_partner_of_the_directory(
    secured_intake: SecuredIntake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = secured_intake
    code, _, err = await homeward(
        app, monkeypatch, capsys, "users", "add", "v.nowhere", "--role", "partner", "--partner", "nowhere-org"
    )
    assert code == 2
    assert "partner-id: 'nowhere-org' is not a partner in the partner directory" in err
    code, _, err = await homeward(app, monkeypatch, capsys, "users", "add", "v.anyone", "--role", "partner")
    assert code == 2
    assert "partner-id: a partner user acts for one partner" in err

    code, out, _ = await homeward(
        app, monkeypatch, capsys, "users", "add", "v.trajkovska", "--role", "partner",
        "--partner", "vardar-housing-cooperative", "--password-stdin",
        stdin="a long pass phrase nobody guesses\n",
    )  # fmt: skip
    assert code == 0, out
    assert "(partner)" in out
    assert "partner vardar-housing-cooperative" in out
    code, out, _ = await homeward(app, monkeypatch, capsys, "users", "show", "v.trajkovska")
    assert (
        " granted partner programmes=- office=- case-scope=programmes partner=vardar-housing-cooperative"
        in out
    )
    found = await app.identity.user_by_name("v.trajkovska")
    assert found is not None
    assert (found[0].role, found[0].partner_id) == ("partner", "vardar-housing-cooperative")
