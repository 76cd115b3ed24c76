"""The projection's writes: one small statement per fact, each into the generation it is given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from services.reporting.core.facts import Member, Movement
from shared.db import Connection


async def first_application(connection: Connection, generation: int, event_id: UUID) -> bool:
    """Record the event in the generation; False when it was applied to it before."""
    inserted = await connection.fetchval(
        "INSERT INTO applied_events (generation, event_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        generation,
        event_id,
    )
    return bool(inserted)


async def save_case(
    connection: Connection,
    generation: int,
    case_id: UUID,
    *,
    programme_id: str,
    arrival_date: date,
    registered_at: datetime,
    vulnerabilities: Sequence[str],
    members: Sequence[Member],
) -> None:
    """The case's facts as registered or assessed: an assessment replaces the household and the
    vulnerabilities and keeps the registration's time."""
    await connection.execute(
        "INSERT INTO cases (generation, case_id, programme_id, arrival_date, registered_at, vulnerabilities)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (generation, case_id) DO UPDATE SET programme_id = EXCLUDED.programme_id,"
        " arrival_date = EXCLUDED.arrival_date, vulnerabilities = EXCLUDED.vulnerabilities",
        generation,
        case_id,
        programme_id,
        arrival_date,
        registered_at,
        sorted(vulnerabilities),
    )
    await connection.execute(
        "DELETE FROM members WHERE generation = $1 AND case_id = $2", generation, case_id
    )
    await connection.executemany(
        "INSERT INTO members (generation, case_id, position, age, sex, relationship)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [(generation, case_id, i, m.age, m.sex, m.relationship) for i, m in enumerate(members)],
    )


async def case_arrival(connection: Connection, generation: int, case_id: UUID) -> date | None:
    arrival: date | None = await connection.fetchval(
        "SELECT arrival_date FROM cases WHERE generation = $1 AND case_id = $2", generation, case_id
    )
    return arrival


async def close_case(
    connection: Connection, generation: int, case_id: UUID, reason: str, at: datetime
) -> None:
    await connection.execute(
        "UPDATE cases SET closed_reason = $3, closed_at = $4 WHERE generation = $1 AND case_id = $2",
        generation,
        case_id,
        reason,
        at,
    )


async def reopen_case(connection: Connection, generation: int, case_id: UUID) -> None:
    await connection.execute(
        "UPDATE cases SET closed_reason = NULL, closed_at = NULL WHERE generation = $1 AND case_id = $2",
        generation,
        case_id,
    )


async def mark_erased(connection: Connection, generation: int, case_id: UUID, at: datetime) -> None:
    await connection.execute(
        "UPDATE cases SET erased_at = $3 WHERE generation = $1 AND case_id = $2", generation, case_id, at
    )


async def referral_status(
    connection: Connection,
    generation: int,
    referral_id: UUID,
    *,
    case_id: UUID,
    category: str,
    status: str,
    at: datetime,
) -> None:
    """The referral's latest status, and when it was first issued, accepted and completed."""
    await connection.execute(
        "INSERT INTO referrals AS r (generation, referral_id, case_id, category, status, issued_at,"
        " accepted_at, completed_at)"
        " VALUES ($1, $2, $3, $4, $5,"
        "  CASE WHEN $5 = 'issued' THEN $6::timestamptz END,"
        "  CASE WHEN $5 = 'accepted' THEN $6::timestamptz END,"
        "  CASE WHEN $5 = 'completed' THEN $6::timestamptz END)"
        " ON CONFLICT (generation, referral_id) DO UPDATE SET status = EXCLUDED.status,"
        "  issued_at = coalesce(r.issued_at, EXCLUDED.issued_at),"
        "  accepted_at = coalesce(r.accepted_at, EXCLUDED.accepted_at),"
        "  completed_at = coalesce(r.completed_at, EXCLUDED.completed_at)",
        generation,
        referral_id,
        case_id,
        category,
        status,
        at,
    )


async def open_grant(
    connection: Connection,
    generation: int,
    grant_id: UUID,
    *,
    case_id: UUID,
    programme_id: str,
    currency: str,
    total: int,
    at: datetime,
    installments: Sequence[tuple[UUID, int, str, int]],  # (id, sequence, assistance type, amount)
) -> None:
    await connection.execute(
        "INSERT INTO grants (generation, grant_id, case_id, programme_id, currency, total, opened_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        generation,
        grant_id,
        case_id,
        programme_id,
        currency,
        total,
        at,
    )
    await add_installments(connection, generation, grant_id, installments)


async def add_installments(
    connection: Connection,
    generation: int,
    grant_id: UUID,
    installments: Sequence[tuple[UUID, int, str, int]],  # (id, sequence, assistance type, amount)
) -> None:
    await connection.executemany(
        "INSERT INTO installments"
        " (generation, installment_id, grant_id, sequence, assistance_type, amount, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'scheduled') ON CONFLICT DO NOTHING",
        [(generation, i, grant_id, seq, kind, amount) for i, seq, kind, amount in installments],
    )


async def set_grant_total(connection: Connection, generation: int, grant_id: UUID, total: int) -> None:
    await connection.execute(
        "UPDATE grants SET total = $3 WHERE generation = $1 AND grant_id = $2", generation, grant_id, total
    )


async def grant_of(connection: Connection, generation: int, grant_id: UUID) -> tuple[str, str, bool] | None:
    """(programme, currency, closed) of a grant the model has."""
    row = await connection.fetchrow(
        "SELECT programme_id, currency, closed_at IS NOT NULL AS closed FROM grants"
        " WHERE generation = $1 AND grant_id = $2",
        generation,
        grant_id,
    )
    return None if row is None else (row["programme_id"], row["currency"], row["closed"])


async def installment_types(
    connection: Connection, generation: int, ids: Sequence[UUID]
) -> dict[UUID, tuple[str, int]]:
    """Installment id → (assistance type, amount)."""
    rows = await connection.fetch(
        "SELECT installment_id, assistance_type, amount FROM installments"
        " WHERE generation = $1 AND installment_id = ANY($2::uuid[])",
        generation,
        list(ids),
    )
    return {row["installment_id"]: (row["assistance_type"], row["amount"]) for row in rows}


async def installment_status(
    connection: Connection, generation: int, ids: Sequence[UUID], status: str
) -> None:
    await connection.execute(
        "UPDATE installments SET status = $3 WHERE generation = $1 AND installment_id = ANY($2::uuid[])",
        generation,
        list(ids),
        status,
    )


async def close_grant(connection: Connection, generation: int, grant_id: UUID, at: datetime) -> None:
    await connection.execute(
        "UPDATE grants SET closed_at = $3 WHERE generation = $1 AND grant_id = $2", generation, grant_id, at
    )


async def add_movements(
    connection: Connection,
    generation: int,
    event_id: UUID,
    *,
    grant_id: UUID,
    case_id: UUID,
    programme_id: str,
    currency: str,
    at: datetime,
    movements: Sequence[tuple[str, Movement, int]],  # (assistance type, movement, amount)
) -> None:
    await connection.executemany(
        "INSERT INTO money_movements (generation, event_id, position, grant_id, case_id, programme_id,"
        " assistance_type, movement, amount, currency, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (
                generation,
                event_id,
                i,
                grant_id,
                case_id,
                programme_id,
                kind,
                movement.value,
                amount,
                currency,
                at,
            )
            for i, (kind, movement, amount) in enumerate(movements)
            if amount > 0
        ],
    )


async def add_checkpoint(
    connection: Connection,
    generation: int,
    *,
    number: int,
    entry_count: int,
    head_hash: str,
    merkle_root: str,
    signed_at: datetime,
    key_id: str,
) -> None:
    await connection.execute(
        "INSERT INTO ledger_checkpoints"
        " (generation, number, entry_count, head_hash, merkle_root, signed_at, key_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        generation,
        number,
        entry_count,
        head_hash,
        merkle_root,
        signed_at,
        key_id,
    )


async def add_visit(
    connection: Connection,
    generation: int,
    visit_id: UUID,
    *,
    case_id: UUID,
    visit_number: int,
    scheduled_month: int | None,
    visited_on: date,
    scores: dict[str, float],
    composite: float,
) -> None:
    await connection.execute(
        "INSERT INTO visits (generation, visit_id, case_id, visit_number, scheduled_month, visited_on,"
        " economic, social, psychosocial, composite) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT DO NOTHING",
        generation,
        visit_id,
        case_id,
        visit_number,
        scheduled_month,
        visited_on,
        scores.get("economic"),
        scores.get("social"),
        scores.get("psychosocial"),
        composite,
    )
