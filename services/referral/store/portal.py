"""The partner portal's SQL: a partner's open referrals, one of them (locked, to answer it), and
the record of the answers its staff sent (`portal_answers`, append-only)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from services.referral.core.portal import Answer
from services.referral.core.referral import Referral
from shared.db import Connection, Pool
from shared.events.codes import ReferralStatus

from .referrals import REFERRAL_COLUMNS, _referral


async def partner_referrals(
    pool: Pool, partner_id: str, statuses: Collection[ReferralStatus], limit: int
) -> list[Referral]:
    """`partner_id`'s referrals in one of `statuses`, newest first."""
    rows = await pool.fetch(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE partner_id = $1 AND status = ANY($2::text[])"
        " ORDER BY created_at DESC, referral_id DESC LIMIT $3",
        partner_id,
        [s.value for s in statuses],
        limit,
    )
    return [_referral(row) for row in rows]


async def partner_referral(
    db: Connection | Pool, partner_id: str, referral_id: UUID, *, lock: bool = False
) -> Referral | None:
    """The referral if it is `partner_id`'s (None otherwise: another partner's is not there), locked
    for the caller's transaction when `lock`."""
    row = await db.fetchrow(
        f"SELECT {REFERRAL_COLUMNS} FROM referrals WHERE referral_id = $1 AND partner_id = $2"
        + (" FOR UPDATE" if lock else ""),
        referral_id,
        partner_id,
    )
    return _referral(row) if row else None


# the answer a referral in `status` awaits: issued and escalated ones the same (a constant)
_STAGE = "(CASE WHEN {status} IN ('issued', 'escalated') THEN 'awaiting' ELSE {status} END)"


async def pending_answers(db: Connection | Pool, referrals: Collection[Referral]) -> set[UUID]:
    """Which of `referrals` have a portal answer on its way: sent while the referral awaited the
    same answer as now (issued and escalated alike: the sweep may escalate a referral whose
    acceptance is on its way), and not applied yet (its event is in no inbox)."""
    if not referrals:
        return set()
    rows = await db.fetch(
        "SELECT DISTINCT a.referral_id FROM portal_answers a"
        " JOIN unnest($1::uuid[], $2::text[]) AS r(referral_id, status) ON r.referral_id = a.referral_id"
        f" AND {_STAGE.format(status='r.status')} = {_STAGE.format(status='a.status_before')}"
        " WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = a.event_id)",
        [r.referral_id for r in referrals],
        [r.status.value for r in referrals],
    )
    return {row["referral_id"] for row in rows}


async def record_answer(
    connection: Connection, event_id: UUID, referral: Referral, answer: Answer, answered_by: UUID
) -> None:
    await connection.execute(
        "INSERT INTO portal_answers (event_id, referral_id, partner_id, answer, status_before, answered_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        event_id,
        referral.referral_id,
        referral.partner_id,
        answer.value,
        referral.status.value,
        answered_by,
    )
