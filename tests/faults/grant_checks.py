"""The money: one grant per approved plan, every installment disbursed at most once (the ledger and
the InstallmentDisbursed events agree), debits equal credits per currency and per transaction, and
the hash chain verifies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from services.grants.use_cases.audit import verify_database_chain
from shared.db import create_pool
from shared.events import Envelope
from shared.events.intake import ReintegrationPlanApproved
from tests.support_books import commitments_not_owed

from .books import INSTALLMENTS, RETURNEES, Books, Expected
from .processes import Corner


async def check_grants(
    connection: Any, corner: Corner, envelopes: dict[str, list[Envelope]], expected: Expected, books: Books
) -> None:
    schema = corner.schema("grants")
    plans = set()
    for e in envelopes.get(RETURNEES, []):  # poison is not among them
        if e.type == ReintegrationPlanApproved.event_type:
            try:
                plans.add(e.event_as(ReintegrationPlanApproved).plan_id)
            except ValueError:
                continue
    grants = await connection.fetch(f'SELECT plan_id, status FROM "{schema}".grants')
    assert sorted(g["plan_id"] for g in grants) == sorted(plans), "not exactly one grant per approved plan"
    books.grants = len(grants)
    installments = await connection.fetch(
        f"SELECT i.id, i.status, i.disbursement_transaction,"
        f' (SELECT count(*) FROM "{schema}".ledger_transactions t'
        f"   WHERE t.installment_id = i.id AND t.kind = 'disbursement') AS paid,"
        f' (SELECT count(*) FROM "{schema}".ledger_transactions t JOIN "{schema}".ledger_transactions d'
        f"   ON t.reverses = d.id WHERE d.installment_id = i.id AND d.kind = 'disbursement') AS reversed"
        f' FROM "{schema}".installments i'
    )
    disbursed_events: dict[UUID, set[UUID]] = defaultdict(set)
    for e in envelopes.get(INSTALLMENTS, []):
        if e.type == "InstallmentDisbursed":
            disbursed_events[UUID(e.data["installment_id"])].add(e.event_id)
    for row in installments:
        net = row["paid"] - row["reversed"]
        assert net <= 1, f"installment {row['id']} was disbursed {net} times"
        assert (row["status"] == "disbursed") == (net == 1), (
            f"installment {row['id']}: {row['status']}, paid {net}"
        )
        assert len(disbursed_events[row["id"]]) == row["paid"], (
            f"installment {row['id']}: {row['paid']} disbursements in the ledger, "
            f"{len(disbursed_events[row['id']])} InstallmentDisbursed events"
        )
        books.disbursed += net
    totals = await connection.fetch(
        f"SELECT currency, sum(amount) FILTER (WHERE direction = 'debit') AS debits,"
        f" sum(amount) FILTER (WHERE direction = 'credit') AS credits, count(*) AS entries"
        f' FROM "{schema}".ledger_entries GROUP BY currency'
    )
    assert all(t["debits"] == t["credits"] for t in totals), [dict(t) for t in totals]
    unbalanced = await connection.fetch(
        f'SELECT transaction_id FROM "{schema}".ledger_entries GROUP BY transaction_id, currency'
        " HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0"
    )
    assert unbalanced == [], f"{len(unbalanced)} ledger transactions do not balance"
    not_owed = await commitments_not_owed(connection, schema)
    assert not_owed == [], f"open grants whose commitment is not what they owe: {not_owed}"
    books.ledger_entries = sum(t["entries"] for t in totals)
    pool = await create_pool(corner.database_url, schema, min_size=1, max_size=1)
    try:
        verdict = await verify_database_chain(pool)
    finally:
        await pool.close()
    assert verdict.ok, verdict.line()
