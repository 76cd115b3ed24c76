"""Intake's commands and reads on cases, shared by the JSON API and the caseworker page. A command
validates (pure), then in ONE transaction loads the case, decides (pure), stores the case, its
history line, the event's outbox row and the access log's row (DESIGN rules 1 and 4). A read is
recorded in the access log before its answer leaves (`record_reads`)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.core import decisions
from services.intake.core.case import Case, CaseStatus, ErasedCase
from services.intake.core.decisions import Decision
from services.intake.core.errors import CaseConflict, CaseNotFound, IdempotencyKeyReused
from services.intake.core.requests import (
    Assessment,
    Closure,
    ConsentChange,
    Household,
    PlanApproval,
    PlanProposal,
    Reassignment,
    Registration,
)
from services.intake.core.rules import (
    assessment_problems,
    plan_problems,
    registration_problems,
    vulnerability_problems,
)
from services.intake.core.timeline import TimelineEntry, merge
from services.intake.core.validation import Invalid, Problem, check
from services.intake.core.views import sees_personal_data
from services.intake.store import cases as store
from services.intake.store import timeline
from services.intake.use_cases import duplicates
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.recording import record_decision, record_new_case
from shared import access_log
from shared.db import Connection, transaction
from shared.events import uuid7
from shared.identity.model import Role, User
from shared.privacy import Action, Actor, sees_vulnerabilities


@dataclass(frozen=True)
class Registered:
    case: Case
    replayed: bool  # an earlier request with the same Idempotency-Key created it


def request_fingerprint(registration: Registration) -> str:
    """Equal for requests that mean the same, whatever their key order or spacing."""
    return hashlib.sha256(registration.model_dump_json().encode()).hexdigest()


async def register_case(
    context: IntakeContext, data: Any, user: User, idempotency_key: str | None = None
) -> Registered:
    now = context.clock()
    checks = context.checks(now)
    registration = check(
        Registration,
        data,
        checks,
        lambda r: [*registration_problems(r, checks.today), *scope_problems(r, user)],
    )
    case_id = uuid7()
    async with duplicates.matches_logged(context, user) as suspected:
        return await _register(context, registration, case_id, user, idempotency_key, suspected)


async def _register(
    context: IntakeContext,
    registration: Registration,
    case_id: UUID,
    user: User,
    idempotency_key: str | None,
    suspected: list[duplicates.Found],
) -> Registered:
    now = context.clock()
    async with transaction(context.pool) as connection:
        if idempotency_key is not None:
            fingerprint = request_fingerprint(registration)
            earlier = await store.claim_idempotency_key(
                connection, user.id, idempotency_key, fingerprint, case_id
            )
            if earlier is not None:
                if earlier.request_hash != fingerprint:
                    raise IdempotencyKeyReused(idempotency_key)
                replayed = await store.load_case(connection, earlier.case_id)
                if replayed is None:  # erasure deletes a case's keys: not found means not visible yet
                    raise CaseNotFound(str(earlier.case_id))
                await access_log.record(connection, Actor.of(user), Action.READ, [replayed.id])
                return Registered(replayed, replayed=True)
        found = await duplicates.screen(
            connection,
            context,
            registration.programme,
            registration.members,
            user,
            confirmed=registration.confirm_distinct_person,
            suspected=suspected,
        )
        assignment = decisions.first_assignment(user.id, user.role is Role.CASEWORKER, user.office)
        decision = decisions.register(registration, case_id, user.id, now, assignment)
        # the case, its people, history line, access log and outbox rows: one statement
        await record_new_case(connection, context, decision, Actor.of(user), Action.REGISTER)
        await duplicates.settle(connection, case_id, found, user, now)
    return Registered(decision.case, replayed=False)


def scope_problems(registration: Household, user: User) -> list[Problem]:
    """A registration or an announcement may only be for one of the user's programmes."""
    if user.may_see_programme(registration.programme):
        return []
    return [Problem(("programme_id",), "you may register cases of your own programmes only")]


def visible_to(case: Case | ErasedCase | None, user: User) -> bool:
    """Object-level authorization: a case outside the user's programmes (or, for a user limited to
    their office's or their own cases, outside those) is, to them, no case at all (404, not 403:
    its existence is not revealed either). An erased case keeps its programme and assignment."""
    return case is not None and user.may_see_case(case.programme_id, case.assigned_to, case.office)


async def change_case(
    context: IntakeContext,
    case_id: UUID,
    user: User,
    action: Action,
    decide: Callable[[Case, datetime], Decision],
    after: Callable[[Connection, Case, Case], Awaitable[None]] | None = None,
) -> Case:
    """Every change to a stored case (assessment, consent, plan, closure, an arrival's reschedule or
    cancellation): the case locked, hidden from who may not see it, `decide` (pure) applied, the
    access logged, and the new state stored with its event in one transaction."""
    now = context.clock()
    async with transaction(context.pool) as connection:
        case = await store.load_case(connection, case_id, for_update=True)
        if case is None:
            if visible_to(await store.read_case(connection, case_id), user):
                raise CaseConflict("the case's personal data was erased: it cannot change any more")
            raise CaseNotFound(str(case_id))
        if not visible_to(case, user):
            raise CaseNotFound(str(case_id))
        decision = decide(case, now)
        # the case was read for the change (and written, when it changed)
        await access_log.record(connection, Actor.of(user), action, [case_id])
        if decision.case is case:
            return case  # nothing changed: nothing to store or publish
        await store.update_case(connection, decision.case)
        if after is not None:  # what else the change rewrites, in the same transaction
            await after(connection, case, decision.case)
        await record_decision(connection, context, decision)
    return decision.case


async def assess_case(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    assessment = check(Assessment, data, context.checks(context.clock()), assessment_problems)

    def decide(case: Case, now: datetime) -> Decision:
        problems = vulnerability_problems(case.members, assessment.vulnerabilities, now.date())
        if problems:
            raise Invalid(problems)
        return decisions.assess(case, assessment, user.id, now)

    return await change_case(context, case_id, user, Action.ASSESS, decide)


async def change_consent(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    change = check(ConsentChange, data, context.checks(context.clock()))
    return await change_case(
        context,
        case_id,
        user,
        Action.CHANGE_CONSENT,
        lambda case, now: decisions.change_consent(case, change, user.id, now),
    )


async def propose_plan(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    proposal = check(PlanProposal, data, context.checks(context.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = plan_problems(proposal, case.programme_id, context.catalogue)
        if problems:
            raise Invalid(problems)
        return decisions.propose_plan(case, proposal, uuid7(), user.id, now)

    return await change_case(context, case_id, user, Action.PROPOSE_PLAN, decide)


async def approve_plan(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    approval = check(PlanApproval, data or {}, context.checks(context.clock()))
    return await change_case(
        context,
        case_id,
        user,
        Action.APPROVE_PLAN,
        lambda case, now: decisions.approve_plan(case, approval.plan_id, user.id, now),
    )


# the user a case may be assigned to: found by id in the identity store, None if there is none
FindUser = Callable[[UUID], Awaitable[User | None]]
ASSIGNEE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})


async def reassign_case(
    context: IntakeContext, case_id: UUID, data: Any, user: User, find_user: FindUser
) -> Case:
    """A supervisor gives the case to another caseworker and/or office (CaseAssigned, so that
    referral limits its lists the same way)."""
    change = check(Reassignment, data, context.checks(context.clock()))
    assignee = await find_user(change.assigned_to) if change.assigned_to else None

    def decide(case: Case, now: datetime) -> Decision:
        if change.assigned_to is not None and not (
            assignee is not None
            and assignee.role in ASSIGNEE_ROLES
            and assignee.may_see_programme(case.programme_id)
        ):
            raise Invalid(
                [Problem(("assigned_to",), "not a caseworker or supervisor of the case's programme")]
            )
        return decisions.reassign(case, change, user.id, now)

    return await change_case(context, case_id, user, Action.ASSIGN, decide)


async def close_case(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    closure = check(Closure, data, context.checks(context.clock()))
    return await change_case(
        context, case_id, user, Action.CLOSE, lambda case, now: decisions.close(case, closure, user.id, now)
    )


# --- reading ---------------------------------------------------------------------------------------


async def get_case(context: IntakeContext, case_id: UUID, user: User) -> Case | ErasedCase:
    """The case (an ErasedCase once its personal data is gone), if `user` may see it;
    CaseNotFound otherwise."""
    found = await store.read_case(context.pool, case_id)
    if found is None or not visible_to(found, user):
        raise CaseNotFound(str(case_id))
    return found


async def case_in_scope(context: IntakeContext, case_id: UUID, user: User) -> bool:
    """Does the case exist within `user`'s programmes? (Nothing of it is read: no access row.)"""
    return visible_to(await store.read_case(context.pool, case_id), user)


async def open_case(context: IntakeContext, case_id: UUID, user: User) -> Case:
    """`get_case` for a case that can still change; CaseConflict once its personal data is erased."""
    found = await get_case(context, case_id, user)
    if isinstance(found, ErasedCase):
        raise CaseConflict("the case's personal data was erased: it cannot change any more")
    return found


async def case_timeline(context: IntakeContext, case_id: UUID, user: User) -> list[TimelineEntry]:
    """Raises CaseNotFound for a case that does not exist or `user` may not see (rather than an
    empty timeline). Readers who may not see vulnerabilities read what referral reported withheld:
    no partner, no deadline, no partner's words, no escalations."""
    await get_case(context, case_id, user)
    withheld = not sees_vulnerabilities(user.role)
    return merge(
        await timeline.own_changes(context.pool, case_id),
        await timeline.consumed_events(context.pool, case_id, withheld=withheld),
    )


@dataclass(frozen=True)
class CaseList:
    cases: list[Case | ErasedCase]
    next_cursor: UUID | None  # the cursor of the next page; None on the last one


async def find_cases(
    context: IntakeContext,
    user: User,
    *,
    programme: str | None = None,
    municipality: str | None = None,
    status: CaseStatus | None = None,
    q: str | None = None,
    limit: int,
    cursor: UUID | None = None,
) -> CaseList:
    """Newest first, within the user's programmes. `q` is a name, a document number or the start of
    a case id; a reader who may not see personal data may not probe for it either, so for them it
    matches case ids only."""
    where = store.CaseFilter(
        programme,
        municipality,
        status,
        q,
        sees_personal_data(user),
        programmes=user.programme_scope(),
        case_limit=user.case_limit(),
    )
    found, next_cursor = await store.list_cases(context.pool, where, limit, cursor)
    return CaseList(found, next_cursor)


async def record_reads(context: IntakeContext, user: User, action: Action, case_ids: Iterable[UUID]) -> None:
    """Record that `user` read these cases (the access log); call it before the answer leaves."""
    await access_log.record(context.pool, Actor.of(user), action, case_ids)
