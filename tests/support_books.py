"""A check of the books shared by the grants integration tests and the fault tests: every open
grant's commitment in the ledger is exactly what its installments still owe (scheduled, due,
approved, or failed and to be paid again). Opening, paying, cancelling, closing and amending a grant
(issue 15) each move both together, so a posting without its installment change, or the other way
round, shows here."""

from __future__ import annotations

from typing import Any

OWED = ("scheduled", "due", "approved", "failed")


async def commitments_not_owed(connection: Any, schema: str | None = None) -> list[dict[str, Any]]:
    """Open grants whose committed balance differs from what their installments owe (none, when
    the books are right). `schema`: read that schema's tables (else the connection's search path)."""
    at = f'"{schema}".' if schema else ""
    rows = await connection.fetch(
        f"SELECT g.id, g.total,"
        f" (SELECT coalesce(sum(i.amount), 0) FROM {at}installments i"
        f"   WHERE i.grant_id = g.id AND i.status = ANY($1::text[])) AS owed,"
        f" (SELECT coalesce(sum(CASE e.direction WHEN 'debit' THEN e.amount ELSE -e.amount END), 0)"
        f"   FROM {at}ledger_entries e WHERE e.account = 'grant/' || g.id || '/committed') AS committed"
        f" FROM {at}grants g WHERE g.status = 'open'",
        list(OWED),
    )
    return [dict(r) for r in rows if r["owed"] != r["committed"]]
