"""A caseworker acts on a referral (issue 15): withdraw it with a reason, re-route it to another
eligible partner, place an unplaced one by hand, hold an escalated one or release the hold.

Each action runs in one transaction through a CaseBook (the case and its referrals locked, places
counted in the rows routing locks), so its rows and its events (outbox) commit together; the rules
are core/actions.py's. A referral outside the user's scope (programmes, own or office cases) is
`NotInScope`, exactly as one that does not exist: the answer tells nothing of other programmes'
cases. Every action is recorded in the access log against its case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from services.referral.core import actions as rules
from services.referral.core.directory import Partner
from services.referral.core.errors import NotInScope
from services.referral.core.events import Occasion
from services.referral.core.referral import Case, Referral
from services.referral.core.routing import Placement
from services.referral.store import actions as store
from services.referral.store.casebook import CaseBook
from shared import access_log
from shared.db import Connection, Pool, transaction
from shared.events import ReferralStatus
from shared.identity.model import User
from shared.privacy import Action, Actor

from .context import ReferralContext
from .referral_changes import ReferralChanges

T = TypeVar("T")

PLACED_BY_HAND = "placed_by_hand"


@dataclass(frozen=True)
class Loaded:
    """A referral as an action sees it, with its case and its case's other referrals, locked."""

    book: CaseBook
    referral: Referral
    case: Case

    @property
    def others(self) -> list[Referral]:
        return self.book.referrals_of(self.referral.case_id)


async def in_scope(db: Connection | Pool, user: User, referral_id: UUID) -> UUID:
    """The case of `referral_id` if the user may see it; NotInScope otherwise (or if unknown)."""
    found = await store.case_of_referral(db, referral_id)
    if found is None or not user.may_see_case(found.programme_id, found.assigned_to, found.office):
        raise NotInScope(f"no referral {referral_id}")
    return found.case_id


async def case_in_scope(db: Connection | Pool, user: User, case_id: UUID) -> None:
    found = await store.case_in_scope(db, case_id)
    if found is None or not user.may_see_case(found.programme_id, found.assigned_to, found.office):
        raise NotInScope(f"no case {case_id} with referrals")


async def _act(
    pool: Pool, user: User, referral_id: UUID, action: Action, act: Callable[[Loaded], Awaitable[T]]
) -> T:
    async with transaction(pool) as connection:
        case_id = await in_scope(connection, user, referral_id)
        book = CaseBook(connection)
        await book.load_cases([case_id])
        referral, case = book.referral(referral_id), book.case(case_id)
        if referral is None or case is None:  # gone since the scope check (erasure keeps rows)
            raise NotInScope(f"no referral {referral_id}")
        result = await act(Loaded(book, referral, case))
        await book.flush()
        await access_log.record(connection, Actor.of(user), action, [case_id])
    return result


async def withdraw(
    pool: Pool, context: ReferralContext, user: User, referral_id: UUID, reason: rules.WithdrawReason
) -> Referral:
    async def act(loaded: Loaded) -> Referral:
        rules.check_withdraw(loaded.referral)
        changes = ReferralChanges(loaded.book, context.topics, Occasion(context.clock()))
        return changes.move(loaded.referral, ReferralStatus.WITHDRAWN, reason.value)

    return await _act(pool, user, referral_id, Action.REFER, act)


async def eligible(pool: Pool, context: ReferralContext, user: User, referral_id: UUID) -> list[Partner]:
    """The partners the caseworker may choose for a re-route or a placement by hand, best first."""

    async def act(loaded: Loaded) -> list[Partner]:
        loads = await loaded.book.loads([loaded.referral.category])
        return rules.eligible_partners(loaded.case, loaded.referral, loaded.others, context.directory, loads)

    return await _act(pool, user, referral_id, Action.READ, act)


async def _placement(context: ReferralContext, loaded: Loaded, partner_id: str, now: datetime) -> Placement:
    """The referral placed with `partner_id`, which must be among its eligible partners now."""
    referral = loaded.referral
    loads = await loaded.book.loads([referral.category])
    partners = rules.eligible_partners(loaded.case, referral, loaded.others, context.directory, loads)
    return rules.placement_with(rules.chosen(partners, partner_id), loaded.case, referral.category, now)


async def reroute(
    pool: Pool, context: ReferralContext, user: User, referral_id: UUID, partner_id: str
) -> Referral:
    """Withdraw the referral (`rerouted`) and issue a new one to `partner_id`; the new one."""

    async def act(loaded: Loaded) -> Referral:
        old = loaded.referral
        rules.check_reroute(old)
        now = context.clock()
        placement = await _placement(context, loaded, partner_id, now)
        changes = ReferralChanges(loaded.book, context.topics, Occasion(now))
        changes.move(old, ReferralStatus.WITHDRAWN, rules.REROUTED)
        return changes.open(old.case_id, placement, old.correlation_id, old.referral_id)

    return await _act(pool, user, referral_id, Action.REFER, act)


async def place_by_hand(
    pool: Pool, context: ReferralContext, user: User, referral_id: UUID, partner_id: str
) -> Referral:
    async def act(loaded: Loaded) -> Referral:
        pending = loaded.referral
        rules.check_place(pending)
        now = context.clock()
        placement = await _placement(context, loaded, partner_id, now)
        changes = ReferralChanges(loaded.book, context.topics, Occasion(now))
        return changes.place(pending, placement, PLACED_BY_HAND)

    return await _act(pool, user, referral_id, Action.REFER, act)


async def hold(pool: Pool, context: ReferralContext, user: User, referral_id: UUID) -> Referral:
    async def act(loaded: Loaded) -> Referral:
        rules.check_hold(loaded.referral)
        changes = ReferralChanges(loaded.book, context.topics, Occasion(context.clock()))
        return changes.hold(loaded.referral, user.id)

    return await _act(pool, user, referral_id, Action.REFER, act)


async def release(pool: Pool, context: ReferralContext, user: User, referral_id: UUID) -> Referral:
    async def act(loaded: Loaded) -> Referral:
        rules.check_release(loaded.referral)
        changes = ReferralChanges(loaded.book, context.topics, Occasion(context.clock()))
        return changes.release(loaded.referral)

    return await _act(pool, user, referral_id, Action.REFER, act)
