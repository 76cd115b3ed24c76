"""Referral's SQL for cases and referrals: small query functions over the service schema (the
pool's search_path names it), taking and returning typed objects (`core/referral.py`).

The consumers and the sweep read and write cases and referrals through a CaseBook (casebook.py);
the HTTP API reads them here directly.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from services.referral.core.referral import Assignment, Case, Referral
from services.referral.core.status import OPEN
from shared.access_log import CaseIndex
from shared.db import Connection, Pool
from shared.events.codes import Category, Priority, ReferralStatus
from shared.events.intake import CaseFacts
from shared.identity.model import CaseLimit

REFERRAL_COLUMNS = (
    "referral_id, case_id, category, partner_id, status, priority, payload, respond_by, correlation_id,"
    " issued_event_id, previous_referral_id, reason, created_at, updated_at, held_by, held_at"
)

# each case's programme and assignment (from intake's events), for reading the access log within
# the reader's scope
ACCESS_LOG_CASES = CaseIndex("SELECT case_id, programme_id, assigned_to, office FROM cases")


def _referral(row: asyncpg.Record) -> Referral:
    return Referral(
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        category=Category(row["category"]),
        partner_id=row["partner_id"],
        status=ReferralStatus(row["status"]),
        priority=Priority(row["priority"]),
        payload=row["payload"],
        respond_by=row["respond_by"],
        correlation_id=row["correlation_id"],
        issued_event_id=row["issued_event_id"],
        previous_referral_id=row["previous_referral_id"],
        reason=row["reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        held_by=row["held_by"],
        held_at=row["held_at"],
    )


# -- cases


async def lock_cases(connection: Connection, case_ids: Iterable[UUID]) -> dict[UUID, Case]:
    """The cases of `case_ids` referral knows, locked (in id order, as every locker takes them)."""
    rows = await connection.fetch(
        "SELECT case_id, facts, closed_at, erased_at FROM cases WHERE case_id = ANY($1::uuid[])"
        " ORDER BY case_id FOR UPDATE",
        sorted(case_ids),
    )
    return {
        row["case_id"]: Case(
            CaseFacts.model_validate(row["facts"]),
            closed=row["closed_at"] is not None,
            erased=row["erased_at"] is not None,
        )
        for row in rows
    }


async def read_case(db: Connection | Pool, case_id: UUID) -> Case | None:
    """The case as referral holds it, without locking it."""
    row = await db.fetchrow("SELECT facts, closed_at, erased_at FROM cases WHERE case_id = $1", case_id)
    if row is None:
        return None
    facts = CaseFacts.model_validate(row["facts"])
    return Case(facts, closed=row["closed_at"] is not None, erased=row["erased_at"] is not None)


async def cases_of_referrals(connection: Connection, referral_ids: Collection[UUID]) -> list[UUID]:
    """The ids of the cases these referrals belong to (unknown referral ids are skipped)."""
    rows = await connection.fetch(
        "SELECT DISTINCT case_id FROM referrals WHERE referral_id = ANY($1::uuid[])", list(referral_ids)
    )
    return [row["case_id"] for row in rows]


async def save_cases(connection: Connection, cases: Sequence[CaseFacts]) -> None:
    """Insert or replace the facts of each case (each case at most once), in one statement."""
    await connection.execute(
        "INSERT INTO cases (case_id, facts, programme_id) SELECT c.case_id, c.facts::jsonb, c.programme_id"
        " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS c(case_id, facts, programme_id)"
        " ON CONFLICT (case_id) DO UPDATE SET facts = EXCLUDED.facts, programme_id = EXCLUDED.programme_id,"
        " updated_at = now()",
        [facts.case_id for facts in cases],
        [facts.model_dump_json() for facts in cases],
        [facts.programme_id for facts in cases],
    )


async def assign_cases(connection: Connection, assignments: Sequence[Assignment]) -> None:
    """Who works on each case and its office, as intake last said (each case at most once)."""
    await connection.execute(
        "UPDATE cases AS c SET assigned_to = a.assigned_to, office = a.office, updated_at = now()"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS a(case_id, assigned_to, office)"
        " WHERE c.case_id = a.case_id",
        [a.case_id for a in assignments],
        [a.assigned_to for a in assignments],
        [a.office for a in assignments],
    )


async def close_cases(connection: Connection, case_ids: Sequence[UUID]) -> None:
    await connection.execute("UPDATE cases SET closed_at = now() WHERE case_id = ANY($1::uuid[])", case_ids)


async def reopen_cases(connection: Connection, case_ids: Sequence[UUID]) -> None:
    await connection.execute("UPDATE cases SET closed_at = NULL WHERE case_id = ANY($1::uuid[])", case_ids)


async def erase_cases(connection: Connection, case_ids: Sequence[UUID]) -> None:
    """Drop what referral copied of these cases: their facts down to the programme and the
    municipality (codes routing reports by), what each partner was sent, and the partners' own
    words (a decline's reason, a completion's outcome: free text). Ids, categories, statuses and
    partner ids stay, so counts still add up."""
    await connection.execute(
        "UPDATE cases SET facts = jsonb_build_object('case_id', case_id::text,"
        " 'programme_id', facts->'programme_id', 'municipality', facts->'municipality',"
        " 'household', '[]'::jsonb),"
        " erased_at = now(), closed_at = coalesce(closed_at, now()), updated_at = now()"
        " WHERE case_id = ANY($1::uuid[])",
        case_ids,
    )
    await connection.execute(
        "UPDATE referrals SET payload = '{}'::jsonb,"
        " reason = CASE WHEN status IN ('declined', 'completed') THEN NULL ELSE reason END"
        " WHERE case_id = ANY($1::uuid[])",
        case_ids,
    )


# -- referrals


async def lock_referrals_of(connection: Connection, case_ids: Collection[UUID]) -> list[Referral]:
    """Every referral of these cases, locked, by case and then in the order they were made."""
    rows = await connection.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE case_id = ANY($1::uuid[])"
        " ORDER BY case_id, created_at, referral_id FOR UPDATE",
        list(case_ids),
    )
    return [_referral(row) for row in rows]


async def insert_referrals(connection: Connection, referrals: Sequence[Referral]) -> None:
    """One statement for them all, in the order given (a re-route names the referral before it)."""
    # each referral carries its case's programme (saved before it: see CaseBook.flush), for scopes
    await connection.execute(
        f"INSERT INTO referrals ({REFERRAL_COLUMNS}, programme_id)"
        " SELECT r.referral_id, r.case_id, r.category, r.partner_id, r.status, r.priority, r.payload::jsonb,"
        " r.respond_by, r.correlation_id, r.issued_event_id, r.previous_referral_id, r.reason,"
        " r.created_at, r.updated_at, r.held_by, r.held_at,"
        " (SELECT c.programme_id FROM cases c WHERE c.case_id = r.case_id)"
        " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
        " $8::timestamptz[], $9::uuid[], $10::uuid[], $11::uuid[], $12::text[], $13::timestamptz[],"
        " $14::timestamptz[], $15::uuid[], $16::timestamptz[]) WITH ORDINALITY AS r(referral_id, case_id,"
        " category, partner_id, status, priority, payload, respond_by, correlation_id, issued_event_id,"
        " previous_referral_id, reason, created_at, updated_at, held_by, held_at, n) ORDER BY r.n",
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
        [r.held_by for r in referrals],
        [r.held_at for r in referrals],
    )


async def update_referrals(connection: Connection, referrals: Sequence[Referral]) -> None:
    """Write the mutable part of each referral (status, placement, reason), in one statement."""
    await connection.execute(
        "UPDATE referrals AS r SET partner_id = u.partner_id, status = u.status, priority = u.priority,"
        " payload = u.payload::jsonb, respond_by = u.respond_by, issued_event_id = u.issued_event_id,"
        " reason = u.reason, updated_at = u.updated_at, held_by = u.held_by, held_at = u.held_at"
        " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],"
        " $7::uuid[], $8::text[], $9::timestamptz[], $10::uuid[], $11::timestamptz[])"
        " AS u(referral_id, partner_id, status, priority, payload, respond_by, issued_event_id, reason,"
        " updated_at, held_by, held_at)"
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
        [r.held_by for r in referrals],
        [r.held_at for r in referrals],
    )


async def overdue_referrals(connection: Connection, now: datetime, limit: int) -> list[Referral]:
    """Issued referrals past their deadline, locked; another sweeper skips them (SKIP LOCKED)."""
    rows = await connection.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE status = 'issued' AND respond_by <= $1"
        " ORDER BY respond_by, referral_id LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return [_referral(row) for row in rows]


async def list_referrals(
    pool: Pool,
    *,
    programmes: list[str] | None,
    case_limit: CaseLimit,
    case_id: UUID | None = None,
    partner_id: str | None = None,
    statuses: Collection[ReferralStatus] = (),
    limit: int = 100,
) -> list[Referral]:
    """Referrals, newest first, of one case and/or partner and/or in one of `statuses` (all: empty),
    within the reader's programmes (None: every programme) and, where the reader is limited to them,
    their own or their office's cases. A referral whose programme is unknown is nobody's."""
    rows = await pool.fetch(
        f"SELECT {', '.join('r.' + c.strip() for c in REFERRAL_COLUMNS.split(','))}"
        " FROM referrals r JOIN cases c ON c.case_id = r.case_id"
        " WHERE ($1::uuid IS NULL OR r.case_id = $1) AND ($2::text IS NULL OR r.partner_id = $2)"
        " AND (cardinality($3::text[]) = 0 OR r.status = ANY($3::text[]))"
        " AND ($5::text[] IS NULL OR r.programme_id = ANY($5::text[]))"
        " AND ($6::uuid IS NULL OR c.assigned_to = $6) AND ($7::text IS NULL OR c.office = $7) AND NOT $8"
        " ORDER BY r.created_at DESC, r.referral_id DESC LIMIT $4",
        case_id,
        partner_id,
        [s.value for s in statuses],
        limit,
        programmes,
        case_limit.assigned_to,
        case_limit.office,
        case_limit.matches_nothing,
    )
    return [_referral(row) for row in rows]


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
