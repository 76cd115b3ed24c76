"""What reports read: one programme's facts from one generation, typed."""

from __future__ import annotations

from collections import defaultdict

from services.reporting.core.facts import (
    CheckpointFacts,
    Member,
    MoneyFacts,
    Movement,
    ProgrammeFacts,
    ReferralFacts,
    ReturnFacts,
    VisitFacts,
)
from shared.db import Connection


async def programmes(connection: Connection, generation: int) -> list[str]:
    rows = await connection.fetch(
        "SELECT programme_id FROM cases WHERE generation = $1"
        " UNION SELECT programme_id FROM grants WHERE generation = $1 ORDER BY 1",
        generation,
    )
    return [row["programme_id"] for row in rows]


async def programme_facts(
    connection: Connection, generation: int, programme_id: str, schedule: tuple[int, ...] = ()
) -> ProgrammeFacts:
    members: dict[object, list[Member]] = defaultdict(list)
    for row in await connection.fetch(
        "SELECT m.case_id, m.age, m.sex, m.relationship FROM members m"
        " JOIN cases c ON c.generation = m.generation AND c.case_id = m.case_id"
        " WHERE m.generation = $1 AND c.programme_id = $2 ORDER BY m.case_id, m.position",
        generation,
        programme_id,
    ):
        members[row["case_id"]].append(Member(row["age"], row["sex"], row["relationship"]))
    returns = tuple(
        ReturnFacts(
            case_id=row["case_id"],
            arrival_date=row["arrival_date"],
            vulnerabilities=tuple(row["vulnerabilities"]),
            members=tuple(members.get(row["case_id"], [])),
            closed_reason=row["closed_reason"],
            closed_at=row["closed_at"],
        )
        for row in await connection.fetch(
            "SELECT case_id, arrival_date, vulnerabilities, closed_reason, closed_at FROM cases"
            " WHERE generation = $1 AND programme_id = $2",
            generation,
            programme_id,
        )
    )
    referrals = tuple(
        ReferralFacts(
            case_id=row["case_id"],
            category=row["category"],
            issued_at=row["issued_at"],
            accepted_at=row["accepted_at"],
            completed_at=row["completed_at"],
        )
        for row in await connection.fetch(
            "SELECT r.case_id, r.category, r.issued_at, r.accepted_at, r.completed_at FROM referrals r"
            " JOIN cases c ON c.generation = r.generation AND c.case_id = r.case_id"
            " WHERE r.generation = $1 AND c.programme_id = $2",
            generation,
            programme_id,
        )
    )
    money = tuple(
        MoneyFacts(
            case_id=row["case_id"],
            assistance_type=row["assistance_type"],
            movement=Movement(row["movement"]),
            amount=row["amount"],
            currency=row["currency"],
            occurred_at=row["occurred_at"],
        )
        for row in await connection.fetch(
            "SELECT case_id, assistance_type, movement, amount, currency, occurred_at FROM money_movements"
            " WHERE generation = $1 AND programme_id = $2",
            generation,
            programme_id,
        )
    )
    visits = tuple(
        VisitFacts(
            case_id=row["case_id"],
            scheduled_month=row["scheduled_month"],
            visited_on=row["visited_on"],
            scores={d: row[d] for d in ("economic", "social", "psychosocial") if row[d] is not None},
            composite=row["composite"],
        )
        for row in await connection.fetch(
            "SELECT v.case_id, v.scheduled_month, v.visited_on, v.economic, v.social, v.psychosocial,"
            " v.composite FROM visits v JOIN cases c ON c.generation = v.generation AND c.case_id = v.case_id"
            " WHERE v.generation = $1 AND c.programme_id = $2",
            generation,
            programme_id,
        )
    )
    checkpoint = await latest_checkpoint(connection, generation)
    return ProgrammeFacts(programme_id, returns, referrals, money, checkpoint, visits, schedule)


async def latest_checkpoint(connection: Connection, generation: int) -> CheckpointFacts | None:
    row = await connection.fetchrow(
        "SELECT number, entry_count, head_hash, merkle_root, signed_at, key_id FROM ledger_checkpoints"
        " WHERE generation = $1 ORDER BY number DESC LIMIT 1",
        generation,
    )
    return None if row is None else CheckpointFacts(**dict(row))
