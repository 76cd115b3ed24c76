"""What the source services hold, read as the owner of their schemas, in the read model's shape:
the tests compare the two to the row and to the minor unit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from .conftest import System

# ledger transaction kind → the report's money column
MOVEMENTS = {
    "commitment": "committed",
    "disbursement": "disbursed",
    "reversal": "returned",
    "release": "released",
}


async def _fetch(system: System, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(system.settings["intake"].owner_url())
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def source_rows(system: System) -> dict[str, set[tuple[Any, ...]]]:
    intake, referral, grants = system.schema("intake"), system.schema("referral"), system.schema("grants")
    return {
        "cases": {
            (r["id"], r["programme_id"], r["closed"], r["people"])
            for r in await _fetch(
                system,
                f"SELECT id, programme_id, status = 'closed' AS closed,"
                f" jsonb_array_length(document->'members') AS people FROM \"{intake}\".cases",
            )
        },
        "referrals": {
            tuple(r.values())
            for r in await _fetch(
                system, f'SELECT referral_id, case_id, category, status FROM "{referral}".referrals'
            )
        },
        "grants": {
            tuple(r.values())
            for r in await _fetch(
                system,
                "SELECT id, case_id, programme_id, currency, total, status = 'closed'"
                f" FROM \"{grants}\".grants WHERE status <> 'awaiting_funding'",
            )
        },
        "installments": {
            tuple(r.values())
            for r in await _fetch(
                system,
                f"SELECT i.id, i.grant_id, i.sequence, i.assistance_type, i.amount, i.status"
                f' FROM "{grants}".installments i JOIN "{grants}".grants g ON g.id = i.grant_id'
                " WHERE g.status <> 'awaiting_funding'",
            )
        },
    }


async def model_rows(system: System) -> dict[str, set[tuple[Any, ...]]]:
    reporting = system.schema("reporting")
    live = f'(SELECT current FROM "{reporting}".model_generation)'
    return {
        "cases": {
            tuple(r.values())
            for r in await _fetch(
                system,
                f"SELECT c.case_id, c.programme_id, c.closed_reason IS NOT NULL,"
                f' (SELECT count(*) FROM "{reporting}".members m WHERE m.generation = c.generation'
                f' AND m.case_id = c.case_id)::int FROM "{reporting}".cases c WHERE c.generation = {live}',
            )
        },
        "referrals": {
            tuple(r.values())
            for r in await _fetch(
                system,
                f'SELECT referral_id, case_id, category, status FROM "{reporting}".referrals'
                f" WHERE generation = {live}",
            )
        },
        "grants": {
            tuple(r.values())
            for r in await _fetch(
                system,
                f"SELECT grant_id, case_id, programme_id, currency, total, closed_at IS NOT NULL"
                f' FROM "{reporting}".grants WHERE generation = {live}',
            )
        },
        "installments": {
            tuple(r.values())
            for r in await _fetch(
                system,
                f"SELECT installment_id, grant_id, sequence, assistance_type, amount, status"
                f' FROM "{reporting}".installments WHERE generation = {live}',
            )
        },
    }


async def ledger_money(system: System, programme: str, since: datetime, before: datetime) -> dict[str, int]:
    """What the ledger posted for the programme in [since, before), per report column."""
    grants = system.schema("grants")
    rows = await _fetch(
        system,
        f'SELECT t.kind, sum(e.amount)::bigint AS amount FROM "{grants}".ledger_transactions t'
        f" JOIN \"{grants}\".ledger_entries e ON e.transaction_id = t.id AND e.direction = 'debit'"
        " WHERE t.programme_id = $1 AND t.recorded_at >= $2 AND t.recorded_at < $3 GROUP BY t.kind",
        programme,
        since,
        before,
    )
    found = {MOVEMENTS[r["kind"]]: r["amount"] for r in rows if r["kind"] in MOVEMENTS}
    return {column: found.get(column, 0) for column in MOVEMENTS.values()}


async def ledger_balance_changes(
    system: System, programme: str, since: datetime, before: datetime
) -> dict[str, int]:
    """How the programme's grants' committed and disbursed accounts moved in [since, before), in
    their normal (debit) direction."""
    grants = system.schema("grants")
    rows = await _fetch(
        system,
        "SELECT account_kind,"
        " sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END)::bigint AS moved"
        f' FROM "{grants}".ledger_entries WHERE programme_id = $1 AND recorded_at >= $2 AND recorded_at < $3'
        " AND account_kind IN ('committed', 'disbursed') GROUP BY account_kind",
        programme,
        since,
        before,
    )
    found = {r["account_kind"]: r["moved"] for r in rows}
    return {kind: found.get(kind, 0) for kind in ("committed", "disbursed")}
