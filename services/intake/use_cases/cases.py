"""Intake's use cases, shared by the JSON API and the caseworker page. Each one validates (pure),
then in ONE transaction loads the case, decides (pure), stores the case, its history line and the
event's outbox row (DESIGN rules 1 and 4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog

from services.intake import case as decisions
from services.intake import repository as repo
from services.intake.case import Case, Decision
from services.intake.catalogue import Catalogue
from services.intake.model import Assessment, Closure, ConsentChange, PlanApproval, PlanProposal, Registration
from services.intake.people import name_key
from services.intake.repository import LikelyDuplicate
from services.intake.rules import plan_problems, registration_problems, vulnerability_problems
from services.intake.timeline import TimelineEntry, merge
from services.intake.validation import Checks, Invalid, Problem, check
from shared import outbox
from shared.db import Connection, Pool, transaction
from shared.events import new_envelope, uuid7
from shared.identity.model import User
from shared.topics import Topics

PRODUCER = "intake"
log = structlog.get_logger("intake.handlers")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Intake:
    """What the use cases need: the pool, the topic names, the reference data and a clock."""

    pool: Pool
    topics: Topics
    catalogue: Catalogue
    clock: Callable[[], datetime] = field(default=_utc_now)

    def checks(self, now: datetime) -> Checks:
        return Checks(self.catalogue, now.date())


class CaseNotFound(LookupError):
    pass


class DuplicateSuspected(Exception):
    """Someone in the registration matches a person in an existing case of the same programme."""

    def __init__(self, matches: list[LikelyDuplicate]) -> None:
        self.matches = matches
        super().__init__("likely duplicate of case " + ", ".join(sorted({str(m.case_id) for m in matches})))


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was first used with a different request."""


@dataclass(frozen=True)
class Registered:
    case: Case
    replayed: bool  # an earlier request with the same Idempotency-Key created it


def request_fingerprint(registration: Registration) -> str:
    """Equal for requests that mean the same, whatever their key order or spacing."""
    return hashlib.sha256(registration.model_dump_json().encode()).hexdigest()


async def register_case(
    intake: Intake, data: Any, user: User, idempotency_key: str | None = None
) -> Registered:
    now = intake.clock()
    checks = intake.checks(now)
    registration = check(
        Registration,
        data,
        checks,
        lambda r: [*registration_problems(r, checks.today), *_scope_problems(r, user)],
    )
    case_id = uuid7()
    async with transaction(intake.pool) as connection:
        if idempotency_key is not None:
            earlier = await repo.claim_idempotency_key(
                connection, user.id, idempotency_key, request_fingerprint(registration), case_id
            )
            if earlier is not None:
                fingerprint, earlier_case_id = earlier
                if fingerprint != request_fingerprint(registration):
                    raise IdempotencyKeyReused(idempotency_key)
                replayed = await repo.load_case(connection, earlier_case_id)
                assert replayed is not None
                return Registered(replayed, replayed=True)
        if not registration.confirm_distinct_person:
            people = [(name_key(m.name), m.date_of_birth) for m in registration.members]
            matches = await repo.likely_duplicates(connection, registration.programme_id, people)
            if matches:
                raise DuplicateSuspected(matches)
        decision = decisions.register(registration, case_id, user.id, now)
        await repo.insert_case(connection, decision.case)
        await _record(connection, intake, decision)
    return Registered(decision.case, replayed=False)


async def _record(connection: Connection, intake: Intake, decision: Decision) -> None:
    """The case's history line and its event's outbox row, in the caller's transaction."""
    event_id = None
    if decision.event is not None:
        envelope = new_envelope(decision.event, key=decision.case.id, producer=PRODUCER)
        await outbox.append(connection, intake.topics.returnees, envelope)
        event_id = envelope.event_id
    await repo.record_change(connection, decision, event_id)
    log.info("case changed", case_id=str(decision.case.id), change=decision.kind, event_id=str(event_id))


def _scope_problems(registration: Registration, user: User) -> list[Problem]:
    if user.may_see_programme(registration.programme_id):
        return []
    return [Problem(("programme_id",), "you may register cases of your own programmes only")]


def _visible(case: Case | None, user: User) -> bool:
    """Object-level authorization: a case outside the user's programmes is, to them, no case at
    all (404, not 403: its existence is not revealed either)."""
    return case is not None and user.may_see_programme(case.programme_id)


async def _change(
    intake: Intake, case_id: UUID, user: User, decide: Callable[[Case, datetime], Decision]
) -> Case:
    now = intake.clock()
    async with transaction(intake.pool) as connection:
        case = await repo.load_case(connection, case_id, for_update=True)
        if case is None or not _visible(case, user):
            raise CaseNotFound(str(case_id))
        decision = decide(case, now)
        if decision.case is case:
            return case  # nothing changed: nothing to store or publish
        await repo.update_case(connection, decision.case)
        await _record(connection, intake, decision)
    return decision.case


async def assess_case(intake: Intake, case_id: UUID, data: Any, user: User) -> Case:
    assessment = check(Assessment, data, intake.checks(intake.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = vulnerability_problems(case.members, assessment.vulnerabilities, now.date())
        if problems:
            raise Invalid(problems)
        return decisions.assess(case, assessment, user.id, now)

    return await _change(intake, case_id, user, decide)


async def change_consent(intake: Intake, case_id: UUID, data: Any, user: User) -> Case:
    change = check(ConsentChange, data, intake.checks(intake.clock()))
    return await _change(
        intake, case_id, user, lambda case, now: decisions.change_consent(case, change, user.id, now)
    )


async def propose_plan(intake: Intake, case_id: UUID, data: Any, user: User) -> Case:
    proposal = check(PlanProposal, data, intake.checks(intake.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = plan_problems(proposal, case.programme_id, intake.catalogue)
        if problems:
            raise Invalid(problems)
        return decisions.propose_plan(case, proposal, uuid7(), user.id, now)

    return await _change(intake, case_id, user, decide)


async def approve_plan(intake: Intake, case_id: UUID, data: Any, user: User) -> Case:
    approval = check(PlanApproval, data or {}, intake.checks(intake.clock()))
    return await _change(
        intake, case_id, user, lambda case, now: decisions.approve_plan(case, approval.plan_id, user.id, now)
    )


async def close_case(intake: Intake, case_id: UUID, data: Any, user: User) -> Case:
    closure = check(Closure, data, intake.checks(intake.clock()))
    return await _change(
        intake, case_id, user, lambda case, now: decisions.close(case, closure, user.id, now)
    )


async def get_case(intake: Intake, case_id: UUID, user: User) -> Case:
    """The case, if `user` may see it; CaseNotFound otherwise."""
    found = await repo.load_case(intake.pool, case_id)
    if found is None or not _visible(found, user):
        raise CaseNotFound(str(case_id))
    return found


async def case_timeline(intake: Intake, case_id: UUID, user: User) -> list[TimelineEntry]:
    """Raises CaseNotFound for a case that does not exist or `user` may not see (rather than an
    empty timeline)."""
    await get_case(intake, case_id, user)
    return merge(
        await repo.own_changes(intake.pool, case_id), await repo.consumed_events(intake.pool, case_id)
    )
