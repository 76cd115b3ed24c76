"""What a supervisor's queue reads beyond the case list: the referrals that stand escalated, from
what intake already keeps of referral's reports (the timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.db import Pool
from shared.identity.model import CaseLimit


@dataclass(frozen=True)
class EscalatedReferral:
    case_id: UUID
    category: str
    since: datetime  # the newest report about it: its escalation, or its hold or release
    held: bool  # held by the caseworker: not re-routed automatically


# The timeline keeps referral's reports by case, type and the line intake wrote for them
# (core/timeline.describe: "Referral for <category> ..."), not by referral id: a referral stands
# escalated when the newest report about its case and category is its escalation, or a hold or a
# release (only an escalated referral is held); a re-routing, an acceptance or a withdrawal takes it
# off the queue. Closed or erased cases are left out.
ESCALATED = r"""
WITH reports AS (
    SELECT t.case_id, t.occurred_at, t.type, t.summary,
           substring(t.summary FROM '^Referral for ([a-z_]+)') AS category
    FROM timeline_events t
    WHERE t.source = 'referral'
), newest AS (
    SELECT DISTINCT ON (case_id, category) case_id, category, occurred_at, type, summary
    FROM reports
    WHERE category IS NOT NULL
    ORDER BY case_id, category, occurred_at DESC, (type = 'ReferralEscalated') DESC
)
SELECT n.case_id, n.category, n.occurred_at, n.type = 'ReferralHeld' AS held
FROM newest n JOIN cases c ON c.id = n.case_id
WHERE (n.type IN ('ReferralEscalated', 'ReferralHeld', 'ReferralReleased')
       OR n.summary ~ ': escalated( \(was [a-z_]+\))?(: |$)')
  AND c.status <> 'closed' AND c.erased_at IS NULL
  AND ($1::text[] IS NULL OR c.programme_id = ANY($1))
  AND ($2::uuid IS NULL OR c.assigned_to = $2) AND ($3::text IS NULL OR c.office = $3) AND NOT $4
ORDER BY n.occurred_at
LIMIT $5
"""


async def escalated_referrals(
    pool: Pool, *, programmes: list[str] | None, case_limit: CaseLimit, limit: int
) -> list[EscalatedReferral]:
    """Oldest escalation first, within the reader's programmes and case limit (fails closed)."""
    rows = await pool.fetch(
        ESCALATED,
        programmes,
        case_limit.assigned_to,
        case_limit.office,
        case_limit.matches_nothing,
        limit,
    )
    return [EscalatedReferral(r["case_id"], r["category"], r["occurred_at"], r["held"]) for r in rows]
