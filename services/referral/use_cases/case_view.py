"""A case's referrals as the caseworker's page shows them: each referral, and for each one that can
go to a partner (re-routed, or placed by hand) the partners it may go to now. Read without locks;
the action chosen on the page checks everything again under its own (use_cases/actions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.referral.core import actions as rules
from services.referral.core.directory import Partner
from services.referral.core.errors import NotInScope, RefusedTransition
from services.referral.core.referral import Referral
from services.referral.store import places
from services.referral.store import referrals as store
from shared import access_log
from shared.db import Pool
from shared.identity.model import User
from shared.privacy import Action, Actor

from .actions import case_in_scope
from .context import ReferralContext


@dataclass(frozen=True)
class ReferralView:
    referral: Referral
    eligible: list[Partner]  # empty when it cannot go to another partner now


@dataclass(frozen=True)
class CaseReferrals:
    case_id: UUID
    closed: bool
    referrals: list[ReferralView]  # newest first


async def case_referrals(pool: Pool, context: ReferralContext, user: User, case_id: UUID) -> CaseReferrals:
    """NotInScope when the user may not see the case (or referral never heard of it)."""
    async with pool.acquire() as connection:
        await case_in_scope(connection, user, case_id)
        case = await store.read_case(connection, case_id)
        if case is None:
            raise NotInScope(f"no case {case_id} with referrals")
        found = await store.list_referrals(
            pool, programmes=user.programme_scope(), case_limit=user.case_limit(), case_id=case_id, limit=1000
        )
        loads = await places.read_places(connection, {r.category for r in found})
        views = []
        for referral in found:
            try:
                eligible = rules.eligible_partners(case, referral, found, context.directory, loads)
            except RefusedTransition:
                eligible = []
            views.append(ReferralView(referral, eligible))
        await access_log.record(connection, Actor.of(user), Action.PAGE, [case_id])
    return CaseReferrals(case_id, case.closed or case.erased, views)
