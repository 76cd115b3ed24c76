"""What an auditor relies on: the database refuses changes and unbalanced transactions, the chain
exposes an entry altered behind the service's back, and the export verifies with nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from homeward.cli import main
from services.grants.core.ledger.postings import commitment
from services.grants.store import ledger as ledger_store
from services.grants.use_cases.audit import verify_database_chain
from shared.events.codes import AssistanceType as T
from shared.money import Money
from tests.support import problem_fields
from tests.unit.grants.builders import plan

from .conftest import GrantsService, plan_approved

pytestmark = pytest.mark.integration
TRIGGER = "ledger_entries_append_only"


@pytest.fixture(scope="module")
async def paid_grant(service: GrantsService) -> dict[str, Any]:
    """A DE grant whose first half is paid: funding, commitment and a disbursement in the ledger."""
    await service.fund("DE-STARTHILFEPLUS", 1_000_000)
    approved = plan("DE-STARTHILFEPLUS", [40, 8], {T.CASH: 150_000}, arrival=service.clock.today)
    await service.deliver(plan_approved(approved))
    grant = await service.grant_of(approved.case_id)
    first = grant["installments"][0]
    assert (await service.post(f"/v1/installments/{first['id']}/approve", "fin-a")).status_code == 200
    paid = await service.post(
        f"/v1/installments/{first['id']}/disburse", "fin-b", {"method": "cash", "payment_reference": "R-1"}
    )
    assert paid.status_code == 200
    return grant


CHANGES = (
    "UPDATE ledger_entries SET amount = amount + 1 WHERE seq = 1",
    "DELETE FROM ledger_entries WHERE seq = 1",
    "TRUNCATE ledger_entries CASCADE",
    "UPDATE ledger_transactions SET memo = 'edited'",
    "DELETE FROM ledger_transactions",
)


async def test_entries_cannot_be_updated_deleted_or_truncated_by_the_service(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    async with service.pool.acquire() as connection:
        for statement in CHANGES:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await connection.execute(statement)


async def test_even_the_owner_of_the_ledger_is_refused_by_its_triggers(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    async with service.as_owner() as connection:
        for statement in CHANGES:
            with pytest.raises(asyncpg.RestrictViolationError, match="the ledger is append-only"):
                await connection.execute(statement)


async def test_an_unbalanced_transaction_is_rejected_at_commit(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    transaction_id = uuid4()
    async with service.pool.acquire() as connection:
        sql = connection.transaction()
        await sql.start()
        await connection.execute(
            "INSERT INTO ledger_transactions (id, kind, idempotency_key, fingerprint, programme_id,"
            " recorded_by, recorded_at) VALUES ($1, 'funding', $2, 'x', 'DE-STARTHILFEPLUS', 'sql', now())",
            transaction_id,
            f"manual-{transaction_id}",
        )
        # a debit without its credit is accepted for now: the balance is checked at commit
        await connection.execute(
            "INSERT INTO ledger_entries VALUES (1000000, $1, $2, 'programme/DE-STARTHILFEPLUS/available',"
            " 'available', 'DE-STARTHILFEPLUS', NULL, 'debit', 100, 'EUR', now(), 'x', 'y')",
            uuid4(),
            transaction_id,
        )
        with pytest.raises(
            asyncpg.CheckViolationError, match=f"transaction {transaction_id} does not balance"
        ):
            await sql.commit()
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM ledger_transactions WHERE id = $1", transaction_id
            )
            == 0
        )


async def test_the_database_refuses_to_overdraw_a_programme(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    too_much = commitment("CH-RKH", uuid4(), Money(amount=10**12, currency="CHF"))
    async with service.pool.acquire() as connection:
        with pytest.raises(asyncpg.CheckViolationError, match="overdraws programme/CH-RKH/available"):
            async with connection.transaction():
                await ledger_store.append_posting(connection, too_much, recorded_by="sql")


async def test_an_entry_altered_in_sql_is_named_by_verify(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    assert (await service.get("/v1/ledger/verify"))["ok"]
    entries = await service.get("/v1/ledger/entries", grant_id=paid_grant["id"])
    paid = [e for e in entries if e["kind"] == "disbursement"]
    # both sides, so the books still balance: only the chain can tell
    await _tamper(service, paid[0]["transaction_id"], "amount * 10")
    try:
        verdict = await service.get("/v1/ledger/verify")
        assert not verdict["ok"]
        assert (verdict["first_bad_seq"], verdict["first_bad_entry_id"]) == (
            paid[0]["seq"],
            paid[0]["entry_id"],
        )
        assert verdict["verdict"] == (
            f"FAILED at entry {paid[0]['seq']} (id {paid[0]['entry_id']}): "
            "its stored hash does not match its content: the entry was altered"
        )
    finally:
        await _tamper(service, paid[0]["transaction_id"], "amount / 10")
    assert (await service.get("/v1/ledger/verify"))["ok"]


async def _tamper(service: GrantsService, transaction_id: str, amount: str) -> None:
    """What only the owner of the tables can do: switch the trigger off, edit, switch it on."""
    async with service.as_owner() as connection, connection.transaction():
        await connection.execute(f"ALTER TABLE ledger_entries DISABLE TRIGGER {TRIGGER}")
        await connection.execute(
            f"UPDATE ledger_entries SET amount = {amount} WHERE transaction_id = $1", transaction_id
        )
        await connection.execute(f"ALTER TABLE ledger_entries ENABLE TRIGGER {TRIGGER}")


async def test_an_export_verifies_offline_and_a_tampered_one_does_not(
    service: GrantsService, paid_grant: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await service.client.get("/v1/ledger/export.csv", headers=service.auth("aud-1"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    exported = tmp_path / "ledger.csv"
    exported.write_text(response.text)
    in_database = await service.get("/v1/ledger/entries", limit=5000)

    assert main(["ledger", "verify", str(exported)]) == 0
    verdict = capsys.readouterr().out.strip()
    head = (await service.get("/v1/ledger/verify"))["head_hash"]
    assert verdict.startswith(f"OK: {len(in_database)} entries")
    assert verdict.endswith(f"head {head}")

    rows = response.text.splitlines()
    victim = in_database[3]
    rows[4] = rows[4].replace(f",{victim['amount']},", f",{victim['amount'] + 1},", 1)
    tampered = tmp_path / "tampered.csv"
    tampered.write_text("\n".join(rows) + "\n")
    assert main(["ledger", "verify", str(tampered)]) == 1
    assert (
        capsys.readouterr()
        .out.strip()
        .startswith(f"FAILED at entry {victim['seq']} (id {victim['entry_id']})")
    )


async def test_balances_as_they_stood_at_a_past_moment(
    service: GrantsService, paid_grant: dict[str, Any]
) -> None:
    commitment_entry = (await service.get("/v1/ledger/entries", grant_id=paid_grant["id"]))[0]
    committed_at = datetime.fromisoformat(commitment_entry["recorded_at"])
    earlier = (committed_at - timedelta(microseconds=1)).isoformat()
    before = await service.get("/v1/ledger/balances", grant_id=paid_grant["id"], as_of=earlier)
    at = await service.get("/v1/ledger/balances", grant_id=paid_grant["id"], as_of=committed_at.isoformat())
    assert before["accounts"] == []
    assert [(a["kind"], a["balance"]["amount"]) for a in at["accounts"]] == [("committed", 150_000)]
    now = await service.get("/v1/ledger/balances", grant_id=paid_grant["id"])
    assert {a["kind"]: a["balance"]["amount"] for a in now["accounts"]} == {
        "committed": 75_000,
        "disbursed": 75_000,
    }
    yesterday = (service.clock.today - timedelta(days=1)).isoformat()
    assert (await service.get("/v1/ledger/balances", as_of=yesterday))["programmes"] == []
    programme = await service.get("/v1/programmes/DE-STARTHILFEPLUS")
    (line,) = programme["balances"]
    assert line["budget"] == line["available"] + line["committed"] + line["disbursed"] == 1_000_000


async def test_entries_filter_by_account_and_date(service: GrantsService, paid_grant: dict[str, Any]) -> None:
    account = f"grant/{paid_grant['id']}/committed"
    entries = await service.get("/v1/ledger/entries", account=account)
    assert [(e["kind"], e["direction"]) for e in entries] == [
        ("commitment", "debit"),
        ("disbursement", "credit"),
    ]
    today, yesterday = service.clock.today, service.clock.today - timedelta(days=1)
    assert len(await service.get("/v1/ledger/entries", account=account, **{"from": today.isoformat()})) == 2
    assert await service.get("/v1/ledger/entries", account=account, to=yesterday.isoformat()) == []
    bad = await service.client.get(
        "/v1/ledger/entries", params={"from": "last tuesday"}, headers=service.auth("aud-1")
    )
    assert bad.status_code == 422
    assert problem_fields(bad) == ["query.from"]


async def test_verify_streams_the_ledger_through_a_cursor_in_chunks(
    service: GrantsService, paid_grant: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger several chunks long is read through one server-side cursor, `chunk` rows per
    fetch, and an entry altered deep in it (past the first chunks) is still the one named."""
    postings = [
        commitment("DE-STARTHILFEPLUS", uuid4(), Money(amount=100 + n, currency="EUR")) for n in range(20)
    ]
    async with service.pool.acquire() as connection, connection.transaction():
        await ledger_store.append_postings(connection, postings, recorded_by="sql")
    fetched: list[int] = []  # the rows each round trip asked the portal for
    for step in ("_bind_exec", "_exec"):  # the first fetch binds the portal, the rest execute it
        original = getattr(asyncpg.cursor.BaseCursor, step)

        async def counted(cursor: Any, n: int, timeout: Any, original: Any = original) -> Any:
            fetched.append(n)
            return await original(cursor, n, timeout)

        monkeypatch.setattr(asyncpg.cursor.BaseCursor, step, counted)
    whole = await verify_database_chain(service.pool, chunk=7)
    assert whole.ok
    assert whole.entries_checked > 40
    assert set(fetched) == {7}
    assert len(fetched) >= whole.entries_checked // 7  # every row came through the cursor's fetches

    deep = (await service.get("/v1/ledger/entries", limit=5000))[-6]  # the last chunks
    assert deep["seq"] > 5 * 7
    await _tamper(service, deep["transaction_id"], "amount * 10")
    try:
        verdict = await verify_database_chain(service.pool, chunk=7)
    finally:
        await _tamper(service, deep["transaction_id"], "amount / 10")
    first = min(
        e["seq"]
        for e in await service.get("/v1/ledger/entries", limit=5000)
        if e["transaction_id"] == deep["transaction_id"]
    )
    assert (verdict.ok, verdict.first_bad_seq) == (False, first)
    assert verdict.problem == "its stored hash does not match its content: the entry was altered"
