"""The cases whose approved plan has an amendment waiting for a supervisor (issue 15): the
supervisors' queue links each to its case page's amendment part (`/cases/{id}#amendment`)."""

from __future__ import annotations

from services.intake.core.case import Case
from services.intake.store.cases import CaseFilter
from shared.db import Pool


async def awaiting_approval(pool: Pool, where: CaseFilter, limit: int) -> list[Case]:
    """Oldest first, within the reader's programmes and case limit (`where`'s scope fields)."""
    rows = await pool.fetch(
        "SELECT document FROM cases"
        " WHERE erased_at IS NULL AND status = 'plan_approved'"
        " AND jsonb_typeof(document -> 'amendment') = 'object'"
        " AND ($1::text[] IS NULL OR programme_id = ANY($1))"
        " AND ($2::uuid IS NULL OR assigned_to = $2) AND ($3::text IS NULL OR office = $3) AND NOT $4"
        " ORDER BY document -> 'amendment' ->> 'proposed_at', id LIMIT $5",
        where.programmes,
        where.case_limit.assigned_to,
        where.case_limit.office,
        where.case_limit.matches_nothing,
        limit,
    )
    return [Case.model_validate(row["document"]) for row in rows]
