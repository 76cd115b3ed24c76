"""Referral's SQL for partner places: each partner's capacity per category (from the directory)
and how many of those places referrals hold (issued, escalated or accepted).

Place rows are locked in one order everywhere — by category, then partner id — so two lockers
never wait on each other in a cycle over them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from services.referral.core.directory import Directory
from services.referral.core.routing import Loads
from services.referral.core.status import OPEN
from shared.db import Connection
from shared.events.codes import Category


async def sync_partner_places(connection: Connection, directory: Directory) -> None:
    """Make partner_places mirror the directory's capacities (run at start-up), and count each
    row's places in use afresh from the referrals (a partner back in the directory, or any drift)."""
    rows = [(p.id, c.value, s.capacity) for p in directory.partners for c, s in p.categories.items()]
    # locked first, in the order routing locks them: the count below then sees every routing
    # transaction that held them committed, and later ones move it from there
    await connection.execute("SELECT 1 FROM partner_places ORDER BY category, partner_id FOR UPDATE")
    await connection.execute(
        "DELETE FROM partner_places p WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[])"
        " AS d(partner_id, category) WHERE d.partner_id = p.partner_id AND d.category = p.category)",
        [r[0] for r in rows],
        [r[1] for r in rows],
    )
    await connection.executemany(
        "INSERT INTO partner_places (partner_id, category, capacity) VALUES ($1, $2, $3)"
        " ON CONFLICT (category, partner_id) DO UPDATE SET capacity = EXCLUDED.capacity",
        rows,
    )
    await connection.execute(
        "UPDATE partner_places p SET in_use = coalesce(r.used, 0) FROM partner_places q"
        " LEFT JOIN (SELECT partner_id, category, count(*) AS used FROM referrals"
        " WHERE status = ANY($1::text[]) GROUP BY partner_id, category) r"
        " ON r.partner_id = q.partner_id AND r.category = q.category"
        " WHERE q.partner_id = p.partner_id AND q.category = p.category",
        [s.value for s in OPEN],
    )


async def lock_places(connection: Connection, categories: Collection[Category]) -> Loads:
    """Lock the place rows of `categories` (in key order, so concurrent lockers cannot deadlock)
    and return their places in use."""
    wanted = sorted(c.value for c in categories)
    if not wanted:
        return {}
    rows = await connection.fetch(
        "SELECT partner_id, category, in_use FROM partner_places WHERE category = ANY($1::text[])"
        " ORDER BY category, partner_id FOR UPDATE",
        wanted,
    )
    return {(r["partner_id"], Category(r["category"])): int(r["in_use"]) for r in rows}


async def move_places(connection: Connection, deltas: Mapping[tuple[str, Category], int]) -> None:
    """Add each delta to its row's places in use (rows locked in key order first)."""
    keys = sorted((category.value, partner_id) for (partner_id, category), delta in deltas.items() if delta)
    if not keys:
        return
    categories, partners = [k[0] for k in keys], [k[1] for k in keys]
    await connection.execute(
        "SELECT 1 FROM partner_places p JOIN unnest($1::text[], $2::text[]) AS d(category, partner_id)"
        " USING (category, partner_id) ORDER BY p.category, p.partner_id FOR UPDATE OF p",
        categories,
        partners,
    )
    await connection.execute(
        "UPDATE partner_places p SET in_use = p.in_use + d.delta"
        " FROM unnest($1::text[], $2::text[], $3::int[]) AS d(category, partner_id, delta)"
        " WHERE p.category = d.category AND p.partner_id = d.partner_id",
        categories,
        partners,
        [deltas[(partner, Category(category))] for category, partner in keys],
    )


async def read_places(connection: Connection, categories: Collection[Category]) -> Loads:
    """Places in use for `categories`, unlocked: for showing which partners could take a referral
    (the action that then takes one locks and counts again)."""
    rows = await connection.fetch(
        "SELECT partner_id, category, in_use FROM partner_places WHERE category = ANY($1::text[])",
        sorted(c.value for c in categories),
    )
    return {(r["partner_id"], Category(r["category"])): int(r["in_use"]) for r in rows}
