"""Several postings in one append (`ledger_store.append_postings`): chained in order, idempotent per
key, and the database still checks every ledger transaction at commit, once per transaction."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg
import pytest

from services.grants.core.errors import IdempotencyConflict
from services.grants.core.ledger.postings import Posting, commitment
from services.grants.store import ledger as ledger_store
from shared.db import Connection
from shared.money import Money

from .conftest import GrantsService

pytestmark = pytest.mark.integration
PROGRAMME = "NL-AVRR"


@pytest.fixture(scope="module", autouse=True)
async def funded(service: GrantsService) -> None:
    await service.fund(PROGRAMME, 10_000_000)


def _commitments(count: int) -> list[Posting]:
    return [commitment(PROGRAMME, uuid4(), Money(amount=1_000 + n, currency="EUR")) for n in range(count)]


async def test_a_batch_is_chained_in_order_and_replays_per_key(service: GrantsService) -> None:
    first = _commitments(3)
    async with service.pool.acquire() as connection:
        async with connection.transaction():
            stored = await ledger_store.append_postings(connection, [*first, first[1]], "sql")
        assert [s.replayed for s in stored] == [False, False, False, True]
        assert stored[3].id == stored[1].id  # the same key twice in one batch: one transaction
        again = _commitments(1)
        async with connection.transaction():
            replay = await ledger_store.append_postings(connection, [*first, *again], "sql")
        assert [s.id for s in replay[:3]] == [s.id for s in stored[:3]]
        assert [s.replayed for s in replay] == [True, True, True, False]
        rows = await connection.fetch(
            "SELECT seq, transaction_id FROM ledger_entries WHERE transaction_id = ANY($1::uuid[])"
            " ORDER BY seq",
            [s.id for s in (*stored[:3], replay[3])],
        )
    assert [r["transaction_id"] for r in rows] == [s.id for s in (*stored[:3], replay[3]) for _ in range(2)]
    assert [r["seq"] for r in rows] == list(range(rows[0]["seq"], rows[0]["seq"] + 8))
    assert (await service.get("/v1/ledger/verify"))["ok"]


async def test_a_key_reused_for_other_content_fails_the_whole_batch(service: GrantsService) -> None:
    stored = _commitments(1)[0]
    async with service.pool.acquire() as connection:
        async with connection.transaction():
            await ledger_store.append_postings(connection, [stored], "sql")
        other = stored.model_copy(update={"memo": "something else"})
        fresh = _commitments(1)[0]
        with pytest.raises(IdempotencyConflict, match=stored.idempotency_key):
            async with connection.transaction():
                await ledger_store.append_postings(connection, [fresh, other], "sql")
        assert await ledger_store.transaction_for_key(connection, fresh.idempotency_key) is None


async def _insert_transaction(connection: Connection) -> UUID:
    transaction_id = uuid4()
    await connection.execute(
        "INSERT INTO ledger_transactions (id, kind, idempotency_key, fingerprint, programme_id,"
        " recorded_by, recorded_at) VALUES ($1, 'funding', $2, 'x', $3, 'sql', now())",
        transaction_id,
        f"manual-{transaction_id}",
        PROGRAMME,
    )
    return transaction_id


async def _insert_entry(connection: Connection, seq: int, transaction_id: UUID, direction: str) -> None:
    await connection.execute(
        "INSERT INTO ledger_entries VALUES ($1, $2, $3, 'programme/NL-AVRR/available', 'available',"
        " 'NL-AVRR', NULL, $4, 100, 'EUR', now(), 'x', 'y')",
        seq,
        uuid4(),
        transaction_id,
        direction,
    )


async def test_a_transaction_without_entries_is_rejected_at_commit(service: GrantsService) -> None:
    async with service.pool.acquire() as connection:
        sql = connection.transaction()
        await sql.start()
        transaction_id = await _insert_transaction(connection)
        with pytest.raises(asyncpg.CheckViolationError, match=f"transaction {transaction_id} has no entries"):
            await sql.commit()


async def test_an_entry_added_to_a_committed_transaction_is_rejected_at_commit(
    service: GrantsService,
) -> None:
    (stored,) = await _append(service, _commitments(1))
    async with service.pool.acquire() as connection:
        sql = connection.transaction()
        await sql.start()
        await _insert_entry(connection, 3_000_000, stored, "debit")
        with pytest.raises(asyncpg.CheckViolationError, match=f"transaction {stored} does not balance"):
            await sql.commit()


async def test_entries_added_after_an_early_check_are_checked_again_at_commit(
    service: GrantsService,
) -> None:
    async with service.pool.acquire() as connection:
        sql = connection.transaction()
        await sql.start()
        transaction_id = await _insert_transaction(connection)
        await _insert_entry(connection, 3_000_001, transaction_id, "debit")
        await _insert_entry(connection, 3_000_002, transaction_id, "credit")
        await connection.execute("SET CONSTRAINTS ALL IMMEDIATE")  # balanced so far: the check passes
        await connection.execute("SET CONSTRAINTS ALL DEFERRED")
        await _insert_entry(connection, 3_000_003, transaction_id, "debit")
        with pytest.raises(
            asyncpg.CheckViolationError, match=f"transaction {transaction_id} does not balance"
        ):
            await sql.commit()


async def _append(service: GrantsService, postings: list[Posting]) -> list[UUID]:
    async with service.pool.acquire() as connection, connection.transaction():
        return [s.id for s in await ledger_store.append_postings(connection, postings, "sql")]
