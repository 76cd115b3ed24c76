"""Referral's SQL: small query functions over the service schema (the pool's search_path names it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.db import Connection, Pool
from shared.events.codes import Category, Priority, ReferralStatus
from shared.events.intake import CaseFacts

from .directory import Directory
from .routing import Loads
from .status import OPEN, ReferralState

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


# -- cases


async def case_for_update(connection: Connection, case_id: UUID) -> Case | None:
    row = await connection.fetchrow(
        "SELECT facts, closed_at FROM cases WHERE case_id = $1 FOR UPDATE", case_id
    )
    if row is None:
        return None
    return Case(CaseFacts.model_validate(row["facts"]), closed=row["closed_at"] is not None)


async def save_case(connection: Connection, facts: CaseFacts) -> None:
    await connection.execute(
        "INSERT INTO cases (case_id, facts) VALUES ($1, $2)"
        " ON CONFLICT (case_id) DO UPDATE SET facts = EXCLUDED.facts, updated_at = now()",
        facts.case_id,
        facts.model_dump(mode="json"),
    )


async def close_case(connection: Connection, case_id: UUID) -> None:
    await connection.execute("UPDATE cases SET closed_at = now() WHERE case_id = $1", case_id)


# -- referrals


async def referrals_of_case(connection: Connection, case_id: UUID) -> list[Referral]:
    rows = await connection.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE case_id = $1 ORDER BY created_at, referral_id"
        " FOR UPDATE",
        case_id,
    )
    return [Referral.from_record(r) for r in rows]


async def referral_for_update(connection: Connection, referral_id: UUID) -> Referral | None:
    row = await connection.fetchrow(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE referral_id = $1 FOR UPDATE", referral_id
    )
    return Referral.from_record(row) if row else None


async def insert_referral(connection: Connection, referral: Referral) -> None:
    await connection.execute(
        f"INSERT INTO referrals ({REFERRAL_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        referral.referral_id,
        referral.case_id,
        referral.category.value,
        referral.partner_id,
        referral.status.value,
        referral.priority.value,
        referral.payload,
        referral.respond_by,
        referral.correlation_id,
        referral.issued_event_id,
        referral.previous_referral_id,
        referral.reason,
        referral.created_at,
        referral.updated_at,
    )


async def update_referral(connection: Connection, referral: Referral) -> None:
    """Write the mutable part of `referral` (status, placement, reason)."""
    await connection.execute(
        "UPDATE referrals SET partner_id = $2, status = $3, priority = $4, payload = $5, respond_by = $6,"
        " issued_event_id = $7, reason = $8, updated_at = $9 WHERE referral_id = $1",
        referral.referral_id,
        referral.partner_id,
        referral.status.value,
        referral.priority.value,
        referral.payload,
        referral.respond_by,
        referral.issued_event_id,
        referral.reason,
        referral.updated_at,
    )


async def declined_partners(connection: Connection, case_id: UUID) -> dict[Category, set[str]]:
    rows = await connection.fetch(
        "SELECT category, partner_id FROM referrals WHERE case_id = $1 AND status = 'declined'", case_id
    )
    out: dict[Category, set[str]] = {}
    for row in rows:
        out.setdefault(Category(row["category"]), set()).add(row["partner_id"])
    return out


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
    """Make partner_places mirror the directory's capacities (run at start-up)."""
    rows = [(p.id, c.value, s.capacity) for p in directory.partners for c, s in p.categories.items()]
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


async def lock_places(connection: Connection, categories: Collection[Category]) -> Loads:
    """Lock the place rows of `categories` (in key order, so concurrent lockers cannot deadlock)
    and return the places in use, counted from the referrals while the lock is held."""
    wanted = sorted(c.value for c in categories)
    if not wanted:
        return {}
    await connection.execute(
        "SELECT 1 FROM partner_places WHERE category = ANY($1::text[]) ORDER BY category, partner_id"
        " FOR UPDATE",
        wanted,
    )
    return await places_in_use(connection, wanted)


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
