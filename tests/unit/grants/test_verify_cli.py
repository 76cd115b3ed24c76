"""`homeward ledger verify FILE.csv`: exit code and a one-line verdict, with nothing but the file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from homeward.cli import main
from services.grants.core.ledger.export import write_csv

from .test_chain import a_grants_life, chained


def export(tmp_path: Path, tamper: bool = False) -> Path:
    text = io.StringIO()
    entries = chained(a_grants_life())
    write_csv(entries, text)
    content = text.getvalue()
    if tamper:
        content = content.replace(",18000,", ",81000,", 1)
    path = tmp_path / "ledger.csv"
    path.write_text(content)
    return path


def test_an_intact_export_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "verify", str(export(tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith("OK: 8 entries in 4 transactions")


def test_a_tampered_export_fails_naming_the_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "verify", str(export(tmp_path, tamper=True))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith("FAILED at entry 5 (id ")
    assert "stored hash does not match its content" in out[0]


def test_a_missing_file_or_another_csv_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "verify", str(tmp_path / "none.csv")]) == 1
    other = tmp_path / "other.csv"
    other.write_text("x,y\n1,2\n")
    assert main(["ledger", "verify", str(other)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("FAILED: cannot read")
    assert "missing columns" in lines[1]


def test_keygen_makes_a_private_key_only_its_owner_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "keys" / "grants-ledger.pem"
    assert main(["ledger", "keygen", str(key)]) == 0
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.with_name("grants-ledger.pem.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    said = capsys.readouterr().out
    assert main(["ledger", "keygen", str(key)]) == 1  # never over an existing key
    assert main(["ledger", "keygen", str(key), "--if-missing"]) == 0
    assert capsys.readouterr().out == said  # the same key, the same id


def test_make_runs_grants_with_a_dev_key_it_makes_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.run import LEDGER_KEY_SETTING, dev_ledger_key

    monkeypatch.setenv("HOMEWARD_LOCAL_DIR", str(tmp_path))
    env: dict[str, str] = {}
    dev_ledger_key(env)
    key = tmp_path / "ledger" / "signing-key.pem"
    assert env[LEDGER_KEY_SETTING] == str(key)
    first = key.read_bytes()
    again: dict[str, str] = {}
    dev_ledger_key(again)
    assert key.read_bytes() == first
    assert again == env
    given = {LEDGER_KEY_SETTING: "/run/secrets/ledger-key"}
    dev_ledger_key(given)
    assert given == {LEDGER_KEY_SETTING: "/run/secrets/ledger-key"}
