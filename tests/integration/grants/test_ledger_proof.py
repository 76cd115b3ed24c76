"""Signed checkpoints and payment proofs, end to end: the running service signs every N entries,
publishes each checkpoint on its topic, and an auditor with an export, the checkpoints and the
public key refuses — offline — a cut-off tail, an edited entry and a ledger rewritten with every
hash recomputed; a donor verifies one payment with the proof file and the key alone."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from homeward.cli import main
from services.grants.core.ledger.chain import ChainedEntry
from services.grants.core.ledger.checkpoint import (
    Checkpoint,
    keys_by_id,
    public_key_from_pem,
    signature_problem,
)
from services.grants.core.ledger.export import read_csv, write_csv
from services.grants.settings import LedgerSettings
from shared.events import parse_envelope
from shared.events.codes import AssistanceType as T
from shared.events.grants import LedgerCheckpointSigned
from tests.support import eventually, read_topic
from tests.unit.grants.builders import plan
from tests.unit.grants.signed_ledger import rechained

from .conftest import GrantsService, plan_approved

pytestmark = pytest.mark.integration
EVERY = 4


def ledger_settings() -> LedgerSettings:
    """Sign once 4 entries wait (two postings), looking five times a second."""
    return LedgerSettings(checkpoint_every_entries=EVERY, checkpoint_check_interval_s=0.2)


@pytest.fixture(scope="module")
def public_key(ledger_signing_key: Path) -> Path:
    return ledger_signing_key.with_name(ledger_signing_key.name + ".pub")


@pytest.fixture(scope="module")
def public_key_pem(public_key: Path) -> bytes:
    return public_key.read_bytes()


@pytest.fixture(scope="module")
async def paid(service: GrantsService) -> dict[str, Any]:
    """A grant whose first installment is paid, and enough postings after it that the service has
    signed a checkpoint covering the payment."""
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40, 8], {T.CASH: 150_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    first = grant["installments"][0]
    assert (await service.post(f"/v1/installments/{first['id']}/approve", "fin-a")).status_code == 200
    paid = await service.post(
        f"/v1/installments/{first['id']}/disburse", "fin-b", {"method": "cash", "payment_reference": "R-1"}
    )
    assert paid.status_code == 200, paid.text
    await service.fund("DE-STARTHILFEPLUS", 10_000)
    # the job signs whenever 4 entries wait: once fewer wait, one more funding (2 entries) at
    # most makes it sign everything
    await eventually(lambda: _waiting(service, below=EVERY), what="the job to sign what it should")
    if not await _waiting(service, below=1):
        await service.fund("DE-STARTHILFEPLUS", 10_000)
    await eventually(lambda: _waiting(service, below=1), what="a checkpoint covering every entry")
    # and two more postings: at least two checkpoints, however the job's rounds fell so far
    for _ in range(2):
        await service.fund("DE-STARTHILFEPLUS", 10_000)
    await eventually(lambda: _waiting(service, below=1), what="a second checkpoint")
    return {"grant": grant, "installment": first["id"]}


async def _waiting(service: GrantsService, *, below: int) -> bool:
    """Fewer than `below` entries wait for a checkpoint."""
    head: int = (await service.get("/v1/ledger/verify"))["entries_checked"]
    checkpoints = await service.get("/v1/ledger/checkpoints")
    covered: int = checkpoints[-1]["entry_count"] if checkpoints else 0
    return head - covered < below


async def _export(service: GrantsService, folder: Path) -> tuple[Path, list[Checkpoint]]:
    """`ledger.csv` and `ledger.checkpoints.json` beside it, as an auditor downloads them."""
    response = await service.client.get("/v1/ledger/export.csv", headers=service.auth("aud-1"))
    assert response.status_code == 200
    exported = folder / "ledger.csv"
    exported.write_text(response.text)
    checkpoints = await service.get("/v1/ledger/checkpoints")
    (folder / "ledger.checkpoints.json").write_text(json.dumps(checkpoints))
    return exported, [Checkpoint.model_validate(c) for c in checkpoints]


def _entries(path: Path) -> list[ChainedEntry]:
    with path.open(newline="") as stream:
        return list(read_csv(stream))


def _write(path: Path, entries: list[ChainedEntry]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    write_csv(entries, text)
    path.write_text(text.getvalue())
    return path


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["ledger", "verify", *args])
    return code, capsys.readouterr().out.strip()


async def test_the_service_signs_every_n_entries_and_publishes_each_checkpoint(
    service: GrantsService, paid: dict[str, Any], public_key_pem: bytes
) -> None:
    checkpoints = [Checkpoint.model_validate(c) for c in await service.get("/v1/ledger/checkpoints")]
    keys = keys_by_id([public_key_from_pem(public_key_pem)])
    assert [c.number for c in checkpoints] == list(range(1, len(checkpoints) + 1))
    assert all(signature_problem(c, keys) is None for c in checkpoints)
    counts = [c.entry_count for c in checkpoints]
    assert counts == sorted(set(counts))
    assert all(later - earlier >= EVERY for earlier, later in zip([0, *counts], counts, strict=False))
    reasons = await service.pool.fetch("SELECT reason FROM ledger_checkpoints ORDER BY number")
    assert {r["reason"] for r in reasons} == {"entries"}

    topic = service.context.topics.ledger_checkpoints.name
    records = await read_topic(service.settings.kafka_bootstrap_servers, topic, at_least=len(checkpoints))
    assert {r.key for r in records} == {b"ledger"}
    published = [parse_envelope(r.value).event_as(LedgerCheckpointSigned) for r in records]
    assert [Checkpoint.model_validate(p.model_dump()) for p in published] == checkpoints

    verdict = await service.get("/v1/ledger/verify")
    assert verdict["ok"]
    assert (verdict["covered_by_checkpoint"], verdict["covered_entries"]) == (len(checkpoints), counts[-1])


async def test_entries_are_hashed_over_every_stored_column(
    service: GrantsService, paid: dict[str, Any]
) -> None:
    entries = await service.get("/v1/ledger/entries", grant_id=paid["grant"]["id"])
    assert {e["hash_version"] for e in entries} == {2}
    assert entries[0]["account_kind"] == "committed"
    assert entries[0]["transaction_grant_id"] == paid["grant"]["id"]
    assert entries[0]["transaction_programme_id"] == "DE-STARTHILFEPLUS"


async def test_an_export_is_covered_offline_up_to_its_last_checkpoint(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported, checkpoints = await _export(service, tmp_path)
    last = checkpoints[-1]
    code, out = _verify(capsys, str(exported), "--public-key", str(public_key))
    assert code == 0, out
    assert f"covered up to entry {last.entry_count} by signed checkpoint #{last.number}" in out
    # the plain chain check still works, and says the checkpoints beside the file went unchecked
    code, out = _verify(capsys, str(exported))
    assert code == 0
    assert (
        out.splitlines()[1]
        == f"note: {len(checkpoints)} signed checkpoints were not checked: give --public-key KEY"
    )


async def test_a_cut_off_tail_is_refused_offline_naming_the_first_missing_entry(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported, checkpoints = await _export(service, tmp_path)
    last = checkpoints[-1]
    entries = _entries(exported)
    # the insider drops the last transaction the last checkpoint covers, and the checkpoints file beside
    # the export with it; the auditor's checkpoints come from elsewhere (here: a file kept from before)
    kept = tmp_path / "kept" / "checkpoints.json"
    kept.parent.mkdir()
    kept.write_text("\n".join(c.model_dump_json() for c in checkpoints))
    cut = _write(tmp_path / "cut" / "ledger.csv", [e for e in entries if e.seq <= last.entry_count - 2])
    assert _verify(capsys, str(cut))[0] == 0  # the chain alone cannot tell
    code, out = _verify(capsys, str(cut), "--public-key", str(public_key), "--checkpoints", str(kept))
    assert code == 1
    assert out == (
        f"FAILED at entry {last.entry_count - 1} (missing from the file): the entries end at "
        f"{last.entry_count - 2}, but {last.describe()} covers {last.entry_count}: entries "
        f"{last.entry_count - 1}-{last.entry_count} were cut off"
    )


async def test_an_edited_entry_is_refused_offline_naming_it(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported, _ = await _export(service, tmp_path)
    entries = _entries(exported)
    victim = next(e for e in entries if e.kind == "disbursement")
    entries[victim.seq - 1] = victim.model_copy(update={"memo": "cash; ref R-2"})
    code, out = _verify(capsys, str(_write(exported, entries)), "--public-key", str(public_key))
    assert code == 1
    assert out == (
        f"FAILED at entry {victim.seq} (id {victim.entry_id}): its stored hash does not match its content: "
        "the entry was altered"
    )


async def test_a_ledger_rewritten_with_every_hash_recomputed_is_refused_offline(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What an insider who can write the database makes of it: a payment's amount changed on both
    lines (the books still balance) and every hash after it recomputed."""
    exported, checkpoints = await _export(service, tmp_path)
    assert len(checkpoints) >= 2
    before, signed = checkpoints[-2], checkpoints[-1]
    entries = _entries(exported)
    # the last transaction the last checkpoint covers: a funding of EUR 100.00, made EUR 1,000.00
    victims = {
        e.seq: e.model_copy(update={"amount": e.amount * 10}) for e in entries[signed.entry_count - 2 :]
    }
    forged = rechained([victims.get(e.seq, e) for e in entries])
    _write(exported, forged)
    assert _verify(capsys, str(exported))[0] == 0  # the chain alone cannot tell
    code, out = _verify(capsys, str(exported), "--public-key", str(public_key))
    assert code == 1
    named = forged[signed.entry_count - 1]
    assert out.startswith(
        f"FAILED at entry {signed.entry_count} (id {named.entry_id}): "
        f"{signed.describe()} signed a different entry {signed.entry_count}"
    )
    assert out.endswith(
        f"the change lies in entries {before.entry_count + 1}-{signed.entry_count} "
        f"({before.describe()} still matches)"
    )


async def test_checkpoints_read_from_the_topic_cover_the_export(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exported, checkpoints = await _export(service, tmp_path)
    (tmp_path / "ledger.checkpoints.json").unlink()  # only the topic's
    topic = service.context.topics.ledger_checkpoints.name
    await read_topic(service.settings.kafka_bootstrap_servers, topic, at_least=len(checkpoints))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", service.settings.kafka_bootstrap_servers)
    monkeypatch.setenv("HOMEWARD_TOPIC_PREFIX", service.settings.topic_prefix)
    args = [str(exported), "--public-key", str(public_key), "--from-topic"]
    code, out = await asyncio.to_thread(_verify, capsys, *args)
    assert code == 0, out
    assert f"by signed checkpoint #{checkpoints[-1].number}" in out


async def test_a_donor_verifies_one_payment_with_the_proof_file_and_the_key(
    service: GrantsService,
    paid: dict[str, Any],
    public_key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installment = paid["installment"]
    monkeypatch.setenv("DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("HOMEWARD_DB_SCHEMA", service.schema)
    proof_file = tmp_path / "payment.json"
    code = await asyncio.to_thread(main, ["ledger", "prove", installment, "-o", str(proof_file)])
    assert code == 0, capsys.readouterr()
    capsys.readouterr()
    proof = json.loads(proof_file.read_text())
    assert proof == await service.get(f"/v1/installments/{installment}/proof")
    assert [p["entry"]["kind"] for p in proof["entries"]] == ["disbursement", "disbursement"]

    for name in list(os.environ):  # the donor has no database, no broker, nothing but the two files
        if name.startswith(("HOMEWARD_", "DATABASE_URL", "KAFKA_")):
            monkeypatch.delenv(name)
    assert main(["ledger", "verify-proof", str(proof_file), "--public-key", str(public_key)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"VERIFIED: installment {installment}: 2 ledger entries are in the ledger checkpoint #"
    )
    assert out[1].startswith("  disbursement of EUR 750.00 (programme DE-STARTHILFEPLUS, grant ")
    assert "by fin-b, memo 'cash; ref R-1'" in out[1]

    proof["entries"][0]["entry"]["amount"] = 7_500_000
    proof["entries"][1]["entry"]["amount"] = 7_500_000
    proof_file.write_text(json.dumps(proof))
    assert main(["ledger", "verify-proof", str(proof_file), "--public-key", str(public_key)]) == 1
    entry = proof["entries"][0]["entry"]
    assert capsys.readouterr().out.strip() == (
        f"FAILED at entry {entry['seq']} (id {entry['entry_id']}): its hash does not match its content: "
        "the entry was altered"
    )


async def test_a_proof_is_refused_for_an_installment_without_a_payment(
    service: GrantsService, paid: dict[str, Any]
) -> None:
    second = paid["grant"]["installments"][1]
    response = await service.client.get(
        f"/v1/installments/{second['id']}/proof", headers=service.auth("aud-1")
    )
    assert response.status_code == 409
    assert response.json()["detail"] == f"installment {second['id']} has no payment in the ledger"
    unknown = await service.client.get(
        "/v1/installments/00000000-0000-0000-0000-000000000000/proof", headers=service.auth("aud-1")
    )
    assert unknown.status_code == 404
    caseworker = await service.client.get("/v1/ledger/checkpoints", headers=service.auth("cw-1"))
    assert caseworker.status_code == 403


def test_the_export_has_a_column_for_every_stored_column(tmp_path: Path) -> None:
    header = next(csv.reader(io.StringIO(_write(tmp_path / "x.csv", []).read_text())))
    assert {"hash_version", "account_kind", "transaction_fingerprint", "transaction_grant_id"} <= set(header)
