"""Caseworkers and supervisors act on referrals in their scope (issue 15): withdraw with a reason,
re-route to another eligible partner (GET the list, POST the choice), place an unplaced referral by
hand, hold an escalated referral or release the hold.

Only the roles that may see which partner holds a referral act on one (a partner's id can betray a
vulnerability: core/visibility.py). A referral outside the caller's scope is 404, as one that does
not exist; a move the referral's state or the routing rules refuse is 409 with the reason; a body
that does not parse is 422 with the fields at fault."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.referral.core.actions import WithdrawReason
from services.referral.core.directory import PARTNER_ID_PATTERN, Partner
from services.referral.core.errors import NotInScope, RefusedTransition
from services.referral.use_cases import actions
from shared.db import Pool
from shared.http.auth import require_roles
from shared.http.params import known_query_only
from shared.http.problems import CONFLICT, NOT_FOUND, ProblemError
from shared.identity.model import Role, User

from .deps import context_of, pool
from .referrals import ReferralOut

router = APIRouter(dependencies=[Depends(known_query_only)])

# the roles that may see (and so choose) which partner holds a referral
actors = require_roles(Role.CASEWORKER, Role.SUPERVISOR)
T = TypeVar("T")


class Withdrawal(BaseModel):
    reason: WithdrawReason


class PartnerChoice(BaseModel):
    partner_id: str = Field(pattern=PARTNER_ID_PATTERN)


class EligiblePartner(BaseModel):
    partner_id: str
    name: str

    @classmethod
    def of(cls, partner: Partner) -> EligiblePartner:
        return cls(partner_id=partner.id, name=partner.name)


class EligiblePartners(BaseModel):
    partners: list[EligiblePartner] = Field(description="Best first, as routing would rank them.")


async def answered(action: Awaitable[T]) -> T:
    """The action's result; its refusal as the problem it answers with."""
    try:
        return await action
    except NotInScope as error:
        raise ProblemError(NOT_FOUND, str(error)) from None
    except RefusedTransition as error:
        raise ProblemError(CONFLICT, str(error)) from None


RESPONSES: dict[int | str, dict[str, str]] = {
    404: {"description": "No such referral in your scope"},
    409: {"description": "The referral's state or the routing rules refuse the move (the detail says why)"},
}


@router.post("/v1/referrals/{referral_id}/withdraw", response_model=ReferralOut, responses=RESPONSES)
async def withdraw(
    referral_id: UUID,
    body: Withdrawal,
    request: Request,
    database: Pool = Depends(pool),
    user: User = Depends(actors),
) -> ReferralOut:
    """Withdraw a referral that is not final, with a reason from the closed list: the partner holding
    it gets ReferralWithdrawn, the timeline ReferralStatusChanged."""
    done = await answered(actions.withdraw(database, context_of(request), user, referral_id, body.reason))
    return ReferralOut.of(done, user)


@router.get(
    "/v1/referrals/{referral_id}/eligible-partners", response_model=EligiblePartners, responses=RESPONSES
)
async def eligible_partners(
    referral_id: UUID, request: Request, database: Pool = Depends(pool), user: User = Depends(actors)
) -> EligiblePartners:
    """The partners this referral may be re-routed to or placed with: serving its category and
    municipality, taking its people, with a place left; never one that declined this case, nor the
    partner holding it now."""
    found = await answered(actions.eligible(database, context_of(request), user, referral_id))
    return EligiblePartners(partners=[EligiblePartner.of(p) for p in found])


@router.post("/v1/referrals/{referral_id}/reroute", response_model=ReferralOut, responses=RESPONSES)
async def reroute(
    referral_id: UUID,
    body: PartnerChoice,
    request: Request,
    database: Pool = Depends(pool),
    user: User = Depends(actors),
) -> ReferralOut:
    """Send a referral a partner holds (issued, escalated or accepted) to another eligible partner:
    this one is withdrawn (reason `rerouted`), and the new referral — the answer — is issued."""
    new = await answered(actions.reroute(database, context_of(request), user, referral_id, body.partner_id))
    return ReferralOut.of(new, user)


@router.post("/v1/referrals/{referral_id}/place", response_model=ReferralOut, responses=RESPONSES)
async def place(
    referral_id: UUID,
    body: PartnerChoice,
    request: Request,
    database: Pool = Depends(pool),
    user: User = Depends(actors),
) -> ReferralOut:
    """Place an unplaced referral with an eligible partner, by hand: it is issued to it."""
    done = await answered(
        actions.place_by_hand(database, context_of(request), user, referral_id, body.partner_id)
    )
    return ReferralOut.of(done, user)


@router.post("/v1/referrals/{referral_id}/hold", response_model=ReferralOut, responses=RESPONSES)
async def hold(
    referral_id: UUID, request: Request, database: Pool = Depends(pool), user: User = Depends(actors)
) -> ReferralOut:
    """Hold an escalated referral: it is not re-routed automatically at its second deadline."""
    done = await answered(actions.hold(database, context_of(request), user, referral_id))
    return ReferralOut.of(done, user)


@router.post("/v1/referrals/{referral_id}/release", response_model=ReferralOut, responses=RESPONSES)
async def release(
    referral_id: UUID, request: Request, database: Pool = Depends(pool), user: User = Depends(actors)
) -> ReferralOut:
    """Release the hold: the automatic re-route applies to the referral again."""
    done = await answered(actions.release(database, context_of(request), user, referral_id))
    return ReferralOut.of(done, user)
