"""Referral's SQL for caseworkers' actions on referrals and the automatic sweeps
(use_cases/actions.py, use_cases/automatic.py): whose case a referral is, and which cases a sweep
visits. The changes themselves are written through a CaseBook."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.referral.core.referral import Assignment
from shared.db import Connection, Pool


async def case_of_referral(db: Connection | Pool, referral_id: UUID) -> Assignment | None:
    """The case a referral belongs to, with its programme (for scopes), unlocked; None: unknown."""
    row = await db.fetchrow(
        "SELECT c.case_id, c.assigned_to, c.office, r.programme_id FROM referrals r"
        " JOIN cases c ON c.case_id = r.case_id WHERE r.referral_id = $1",
        referral_id,
    )
    if row is None:
        return None
    return Assignment(row["case_id"], row["assigned_to"], row["office"], row["programme_id"])


async def case_in_scope(db: Connection | Pool, case_id: UUID) -> Assignment | None:
    """A case's assignment and programme (for scopes); None: referral never saw it."""
    row = await db.fetchrow(
        "SELECT case_id, assigned_to, office, programme_id FROM cases WHERE case_id = $1", case_id
    )
    if row is None:
        return None
    return Assignment(row["case_id"], row["assigned_to"], row["office"], row["programme_id"])


async def cases_with_escalations_due(connection: Connection, deadline_before: datetime) -> list[UUID]:
    """Cases with an escalated referral, not held, whose partner's deadline was at or before
    `deadline_before` (so its second deadline has passed), oldest deadline first."""
    rows = await connection.fetch(
        "SELECT case_id FROM referrals WHERE status = 'escalated' AND held_at IS NULL"
        " AND respond_by <= $1 GROUP BY case_id ORDER BY min(respond_by), case_id",
        deadline_before,
    )
    return [row["case_id"] for row in rows]


async def cases_waiting_for_places(connection: Connection) -> list[UUID]:
    """Open cases with an unplaced referral in a category where some partner has a place left,
    longest waiting first (the only ones a retry can place)."""
    rows = await connection.fetch(
        "SELECT r.case_id FROM referrals r JOIN cases c ON c.case_id = r.case_id"
        " WHERE r.status = 'unplaced' AND c.closed_at IS NULL AND EXISTS (SELECT 1 FROM partner_places p"
        " WHERE p.category = r.category AND p.in_use < p.capacity)"
        " GROUP BY r.case_id ORDER BY min(r.created_at), r.case_id",
    )
    return [row["case_id"] for row in rows]
