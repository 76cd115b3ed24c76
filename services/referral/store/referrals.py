"""Referral's SQL: small query functions over the service schema (the pool's search_path names it)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.referral.core.directory import Directory
from services.referral.core.routing import Loads
from services.referral.core.status import OPEN, ReferralState
from shared.db import Connection, Pool
from shared.events.codes import Category, Priority, ReferralStatus
from shared.events.intake import CaseFacts

REFERRAL_COLUMNS = (
    "referral_id, case_id, category, partner_id, status, priority, payload, respond_by, correlation_id,"
    " issued_event_id, previous_referral_id, reason, created_at, updated_at"
)


@dataclass(frozen=True)
class Referral:
    referral_id: UUID
    case_id: UUID
    category: Category
    partner_id: str | None
    status: ReferralStatus
    priority: Priority
    payload: dict[str, Any]
    respond_by: datetime | None
    correlation_id: UUID
    issued_event_id: UUID | None
    previous_referral_id: UUID | None
    reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_record(cls, record: Any) -> Referral:
        values = dict(record.items())
        values["category"] = Category(values["category"])
        values["status"] = ReferralStatus(values["status"])
        values["priority"] = Priority(values["priority"])
        return cls(**values)

    @property
    def state(self) -> ReferralState:
        return ReferralState(self.referral_id, self.case_id, self.category, self.partner_id, self.status)


@dataclass(frozen=True)
class Case:
    facts: CaseFacts
    closed: bool


# -- referrals (cases and referrals are read and written through a CaseBook, see casebook.py)


async def insert_referrals(connection: Connection, referrals: Sequence[Referral]) -> None:
    """One statement for them all, in the order given (a re-route names the referral before it)."""
    await connection.execute(
        f"INSERT INTO referrals ({REFERRAL_COLUMNS})"
        " SELECT r.referral_id, r.case_id, r.category, r.partner_id, r.status, r.priority, r.payload::jsonb,"
        " r.respond_by, r.correlation_id, r.issued_event_id, r.previous_referral_id, r.reason,"
        " r.created_at, r.updated_at"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
        " $8::timestamptz[], $9::uuid[], $10::uuid[], $11::uuid[], $12::text[], $13::timestamptz[],"
        " $14::timestamptz[]) WITH ORDINALITY AS r(referral_id, case_id, category, partner_id, status,"
        " priority, payload, respond_by, correlation_id, issued_event_id, previous_referral_id, reason,"
        " created_at, updated_at, n) ORDER BY r.n",
        [r.referral_id for r in referrals],
        [r.case_id for r in referrals],
        [r.category.value for r in referrals],
        [r.partner_id for r in referrals],
        [r.status.value for r in referrals],
        [r.priority.value for r in referrals],
        [json.dumps(r.payload) for r in referrals],
        [r.respond_by for r in referrals],
        [r.correlation_id for r in referrals],
        [r.issued_event_id for r in referrals],
        [r.previous_referral_id for r in referrals],
        [r.reason for r in referrals],
        [r.created_at for r in referrals],
        [r.updated_at for r in referrals],
    )


async def update_referrals(connection: Connection, referrals: Sequence[Referral]) -> None:
    """Write the mutable part of each referral (status, placement, reason), in one statement."""
    await connection.execute(
        "UPDATE referrals AS r SET partner_id = u.partner_id, status = u.status, priority = u.priority,"
        " payload = u.payload::jsonb, respond_by = u.respond_by, issued_event_id = u.issued_event_id,"
        " reason = u.reason, updated_at = u.updated_at"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],"
        " $7::uuid[], $8::text[], $9::timestamptz[]) AS u(referral_id, partner_id, status, priority,"
        " payload, respond_by, issued_event_id, reason, updated_at)"
        " WHERE r.referral_id = u.referral_id",
        [r.referral_id for r in referrals],
        [r.partner_id for r in referrals],
        [r.status.value for r in referrals],
        [r.priority.value for r in referrals],
        [json.dumps(r.payload) for r in referrals],
        [r.respond_by for r in referrals],
        [r.issued_event_id for r in referrals],
        [r.reason for r in referrals],
        [r.updated_at for r in referrals],
    )


async def save_cases(connection: Connection, cases: Sequence[CaseFacts]) -> None:
    """Insert or replace the facts of each case (each case at most once), in one statement."""
    await connection.execute(
        "INSERT INTO cases (case_id, facts) SELECT c.case_id, c.facts::jsonb"
        " FROM unnest($1::uuid[], $2::text[]) AS c(case_id, facts)"
        " ON CONFLICT (case_id) DO UPDATE SET facts = EXCLUDED.facts, updated_at = now()",
        [facts.case_id for facts in cases],
        [facts.model_dump_json() for facts in cases],
    )


async def close_cases(connection: Connection, case_ids: Sequence[UUID]) -> None:
    await connection.execute("UPDATE cases SET closed_at = now() WHERE case_id = ANY($1::uuid[])", case_ids)


async def overdue_referrals(connection: Connection, now: datetime, limit: int) -> list[Referral]:
    """Issued referrals past their deadline, locked; another sweeper skips them (SKIP LOCKED)."""
    rows = await connection.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE status = 'issued' AND respond_by <= $1"
        " ORDER BY respond_by, referral_id LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [Referral.from_record(r) for r in rows]


async def list_referrals(
    pool: Pool,
    *,
    case_id: UUID | None = None,
    partner_id: str | None = None,
    statuses: Collection[ReferralStatus] = (),
    limit: int = 100,
) -> list[Referral]:
    rows = await pool.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals"
        " WHERE ($1::uuid IS NULL OR case_id = $1) AND ($2::text IS NULL OR partner_id = $2)"
        " AND (cardinality($3::text[]) = 0 OR status = ANY($3::text[]))"
        " ORDER BY created_at DESC, referral_id DESC LIMIT $4",
        case_id,
        partner_id,
        [s.value for s in statuses],
        limit,
    )
    return [Referral.from_record(r) for r in rows]


# -- places


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


async def places_in_use(connection: Connection | Pool, categories: Sequence[str] | None = None) -> Loads:
    rows = await connection.fetch(
        "SELECT partner_id, category, count(*) AS used FROM referrals"
        " WHERE status = ANY($1::text[]) AND ($2::text[] IS NULL OR category = ANY($2::text[]))"
        " GROUP BY partner_id, category",
        [s.value for s in OPEN],
        categories,
    )
    return {(r["partner_id"], Category(r["category"])): int(r["used"]) for r in rows}


async def open_counts(pool: Pool) -> dict[tuple[str, Category, ReferralStatus], int]:
    """Open referrals per partner, category and status (for the partners listing)."""
    rows = await pool.fetch(
        "SELECT partner_id, category, status, count(*) AS n FROM referrals"
        " WHERE status = ANY($1::text[]) GROUP BY partner_id, category, status",
        [s.value for s in OPEN],
    )
    return {
        (r["partner_id"], Category(r["category"]), ReferralStatus(r["status"])): int(r["n"]) for r in rows
    }
