"""Cases change as lives do (issue 15, point 2): the household edited, the contact details changed,
a closed case reopened, an approved plan amended — each through `cases.change_case` (the case
locked and scoped, the access logged, the new state stored with its history line and event in one
transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.core import amendments, changes
from services.intake.core.case import Case
from services.intake.core.change_requests import (
    AmendmentApproval,
    ContactChange,
    HouseholdEdit,
    ReopeningRequest,
)
from services.intake.core.decisions import Decision
from services.intake.core.requests import PlanProposal
from services.intake.core.rules import plan_problems
from services.intake.core.validation import Invalid, check
from services.intake.store import amendments as amendment_store
from services.intake.store import cases as store
from services.intake.use_cases.cases import change_case, record_reads
from services.intake.use_cases.context import IntakeContext
from shared.db import Connection
from shared.events import uuid7
from shared.identity.model import User
from shared.privacy import Action


async def edit_household(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    """The household as it is now (HouseholdChanged to referral, grants and reporting); the people
    that duplicate detection and search find the case by are rewritten with it."""
    edit = check(HouseholdEdit, data, context.checks(context.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        return changes.edit_household(case, edit, user.id, now)

    return await change_case(context, case_id, user, Action.EDIT_HOUSEHOLD, decide, after=_people_changed)


async def _people_changed(connection: Connection, before: Case, after: Case) -> None:
    if before.members != after.members:
        await store.replace_people(connection, after)


async def change_contact(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    change = check(ContactChange, data, context.checks(context.clock()))
    return await change_case(
        context,
        case_id,
        user,
        Action.CHANGE_CONTACT,
        lambda case, now: changes.change_contact(case, change, user.id, now),
    )


async def reopen_case(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    """Supervisors only (the route checks the role): CaseReopened, with the reason."""
    request = check(ReopeningRequest, data, context.checks(context.clock()))
    return await change_case(
        context, case_id, user, Action.REOPEN, lambda case, now: changes.reopen(case, request, user.id, now)
    )


async def propose_amendment(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    """The approved plan as it should be now (the same rules as a plan: one line per type, the
    programme's currency); waits for a supervisor's approval."""
    proposal = check(PlanProposal, data, context.checks(context.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = plan_problems(proposal, case.programme_id, context.catalogue)
        if problems:
            raise Invalid(problems)
        return amendments.propose_amendment(case, proposal, uuid7(), user.id, now)

    return await change_case(context, case_id, user, Action.PROPOSE_AMENDMENT, decide)


async def approve_amendment(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    """Supervisors only (the route checks the role), never the proposer: ReintegrationPlanAmended."""
    approval = check(AmendmentApproval, data or {}, context.checks(context.clock()))
    return await change_case(
        context,
        case_id,
        user,
        Action.APPROVE_AMENDMENT,
        lambda case, now: amendments.approve_amendment(case, approval.amendment_id, user.id, now),
    )


async def amendments_awaiting(context: IntakeContext, user: User, limit: int = 100) -> list[Case]:
    """The cases with an amendment waiting for approval that `user` may see, oldest proposal first
    (for the supervisors' queue); each read is logged."""
    where = store.CaseFilter(programmes=user.programme_scope(), case_limit=user.case_limit())
    found = await amendment_store.awaiting_approval(context.pool, where, limit)
    await record_reads(context, user, Action.LIST, (c.id for c in found))
    return found
