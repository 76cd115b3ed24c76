"""Donor programmes in PostgreSQL: the mirror of the policy file that grants and ledger lines refer
to, and the row a budget decision locks."""

from __future__ import annotations

from dataclasses import dataclass

from services.grants.core.policies import DonorPolicies
from shared.db import Connection, Pool


@dataclass(frozen=True)
class WaitingGrants:
    """A programme's grants that wait for budget: how many, and their total in minor units."""

    grants: int
    total: int


async def sync_programmes(connection: Connection, policies: DonorPolicies) -> None:
    """Mirror the policy file's programmes (ledger lines and grants refer to them)."""
    await connection.executemany(
        "INSERT INTO programmes (id, name, currency) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE"
        " SET name = excluded.name, currency = excluded.currency, synced_at = now()",
        [(p.id, p.name, p.currency) for p in policies.programmes],
    )


async def lock_programme(connection: Connection, programme_id: str) -> None:
    # NO KEY UPDATE, not UPDATE: budget decisions still queue behind each other, but the foreign-key
    # check of a ledger insert (KEY SHARE on this row, taken while holding the chain head) does not
    # wait for it — with FOR UPDATE, a disbursement (chain head, then this row) and a grant opening
    # (this row, then the chain head) deadlocked, and the officer got a 500.
    await connection.execute("SELECT 1 FROM programmes WHERE id = $1 FOR NO KEY UPDATE", programme_id)


async def awaiting_funding(connection: Connection | Pool) -> dict[str, WaitingGrants]:
    """Per programme id: its grants awaiting funding (programmes with none are left out)."""
    rows = await connection.fetch(
        "SELECT programme_id, count(*) AS n, sum(total) AS total FROM grants"
        " WHERE status = 'awaiting_funding' GROUP BY programme_id"
    )
    return {r["programme_id"]: WaitingGrants(grants=int(r["n"]), total=int(r["total"])) for r in rows}
