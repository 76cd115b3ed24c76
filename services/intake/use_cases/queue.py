"""A supervisor's queue: the plans waiting for their approval and the referrals that stand
escalated, within their programmes and case limit; each case shown is recorded in the access log."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.core.case import Case, CaseStatus, ErasedCase
from services.intake.store import cases as store
from services.intake.store.queue import EscalatedReferral, escalated_referrals
from shared import access_log
from shared.identity.model import User
from shared.privacy import Action, Actor, sees_vulnerabilities

from .context import IntakeContext

SHOWN = 50  # of each list, oldest first


@dataclass(frozen=True)
class Queue:
    plans: list[Case]  # proposed plans, the oldest proposal first
    escalated: list[EscalatedReferral]


async def supervisor_queue(context: IntakeContext, user: User) -> Queue:
    where = store.CaseFilter(
        status=CaseStatus.PLAN_PROPOSED, programmes=user.programme_scope(), case_limit=user.case_limit()
    )
    found, _ = await store.list_cases(context.pool, where, SHOWN, None)
    plans = sorted(
        (c for c in found if not isinstance(c, ErasedCase) and c.plan is not None),
        key=lambda c: c.plan.proposed_at if c.plan else c.registered_at,
    )
    # an escalation's timing gives a referral's deadline away: only for who may see vulnerabilities
    escalated = (
        await escalated_referrals(
            context.pool, programmes=user.programme_scope(), case_limit=user.case_limit(), limit=SHOWN
        )
        if sees_vulnerabilities(user.role)
        else []
    )
    shown = {c.id for c in plans} | {e.case_id for e in escalated}
    await access_log.record(context.pool, Actor.of(user), Action.LIST, sorted(shown))
    return Queue(plans, escalated)
