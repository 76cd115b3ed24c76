"""A plan approval becomes a grant; a grant opens when its programme's budget can carry it.

A grant first exists as `awaiting_funding` with its schedule. It opens — commitment posting,
GrantOpened, the installments whose milestone is already reached fall due — only when the
programme's available budget covers it AND no older grant of that programme is still waiting:
first approved, first funded. Otherwise it waits (GrantAwaitingFunding) until funding, or a
commitment released by a closed case, makes room. Never dropped, never overdrawn.
"""

from __future__ import annotations

from uuid import UUID

import structlog

from services.grants.core.errors import NotFound, PlanRejected
from services.grants.core.grant import Grant
from services.grants.core.ledger.postings import commitment
from services.grants.core.policies import UnknownProgramme
from services.grants.core.rules import milestone_reached
from services.grants.core.schedule import PlanNotFundable, installment_schedule
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.store import ledger as ledger_store
from services.grants.store import outcomes as outcome_store
from services.grants.store import programmes as programme_store
from shared.db import Connection
from shared.events.codes import CancellationReason
from shared.events.envelope import Envelope
from shared.events.grants import GrantAwaitingFunding, GrantOpened
from shared.events.ids import uuid7
from shared.events.intake import ReintegrationPlanApproved
from shared.money import Money

from .cancelling import cancel_waiting_of_grant
from .context import SYSTEM_ACTOR, GrantsContext
from .grant_events import queue_grant_event, scheduled_installment
from .milestones import fall_due

log = structlog.get_logger("grants.opening")


async def grant_for_approved_plan(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    """ReintegrationPlanApproved → a grant, opened at once or waiting for funding. A plan that can
    never be funded raises PlanRejected (the consumer dead-letters it)."""
    plan = envelope.event_as(ReintegrationPlanApproved)
    if await grant_store.has_grant_for_plan(connection, plan.plan_id):
        log.info("plan already has a grant; approval ignored", plan_id=str(plan.plan_id))
        return
    try:
        programme = context.policies.programme(plan.programme_id)
        schedule = installment_schedule(uuid7(), plan, programme, approved_on=envelope.occurred_at.date())
    except (UnknownProgramme, PlanNotFundable) as error:
        raise PlanRejected(str(error)) from error
    await programme_store.lock_programme(connection, programme.id)
    active = await grant_store.active_grants_of_case(connection, plan.case_id)
    if active:
        raise PlanRejected(
            f"case {plan.case_id} already has grant {active[0].id} ({active[0].status.value}) under plan "
            f"{active[0].plan_id}; close it before a new plan can be funded"
        )
    await grant_store.insert_waiting_grant(
        connection,
        schedule,
        case_id=plan.case_id,
        plan_id=plan.plan_id,
        arrival_date=plan.arrival_date,
        approved_on=envelope.occurred_at.date(),
        correlation_id=envelope.correlation_id,
    )
    opened = await open_waiting_grants(connection, context, programme.id, causation=envelope)
    if schedule.grant_id in opened:
        return
    ahead = sum(g.total.amount for g in await grant_store.waiting_grants(connection, programme.id))
    available = await ledger_store.available_budget(connection, programme.id)
    shortfall = Money(amount=ahead - available, currency=programme.currency)
    await queue_grant_event(
        connection,
        context,
        GrantAwaitingFunding(
            grant_id=schedule.grant_id,
            case_id=plan.case_id,
            programme_id=programme.id,
            total=schedule.total,
            shortfall=shortfall,
        ),
        correlation_id=envelope.correlation_id,
        causation=envelope,
    )
    log.info("grant awaits funding", grant_id=str(schedule.grant_id), programme_id=programme.id)


async def open_waiting_grants(
    connection: Connection, context: GrantsContext, programme_id: str, *, causation: Envelope | None = None
) -> list[UUID]:
    """Open the programme's waiting grants, oldest first, as far as the available budget goes;
    return their ids. The caller holds the programme lock."""
    available = await ledger_store.available_budget(connection, programme_id)
    opened: list[UUID] = []
    for waiting in await grant_store.waiting_grants(connection, programme_id):
        if waiting.total.amount > available:
            break  # no overtaking: the oldest waiting grant is funded first
        available -= waiting.total.amount
        opened.append(waiting.id)
    grants = []
    for grant_id in opened:
        # re-read under the grant's lock: a business-plan verification may have committed meanwhile
        grant = await grant_store.grant(connection, grant_id, lock=True)
        if grant is None:  # grants are never deleted: the row the caller just read is there
            raise NotFound(f"no grant {grant_id}")
        grants.append(grant)
    # every commitment in one append, after the grants' locks (the chain head is locked last)
    await ledger_store.append_postings(
        connection, [commitment(g.programme_id, g.id, g.total) for g in grants], recorded_by=SYSTEM_ACTOR
    )
    for grant in grants:
        await _open(connection, context, grant, causation=causation)
    return opened


async def _open(
    connection: Connection, context: GrantsContext, grant: Grant, *, causation: Envelope | None
) -> None:
    """The rest of opening `grant`, once its commitment is posted."""
    await grant_store.mark_open(connection, grant.id)
    installments = await installment_store.installments_of(connection, grant.id)
    await queue_grant_event(
        connection,
        context,
        GrantOpened(
            grant_id=grant.id,
            case_id=grant.case_id,
            programme_id=grant.programme_id,
            total=grant.total,
            installments=[scheduled_installment(i.id, i) for i in installments],
        ),
        correlation_id=grant.correlation_id,
        causation=causation,
    )
    today = context.today()
    # outcomes the case achieved while the grant waited for funding count as soon as it opens
    outcomes = await outcome_store.outcomes_of(connection, grant.case_id)
    reached = [
        i for i in installments if milestone_reached(i.terms(), today, grant.business_plan_verified, outcomes)
    ]
    await fall_due(connection, context, reached, causation=causation)
    if outcomes.re_migrated:  # found re-migrated while the grant waited: what still waits cannot happen
        opened = await grant_store.grant(connection, grant.id)
        if opened is not None:
            await cancel_waiting_of_grant(
                connection, context, opened, CancellationReason.RE_MIGRATED, causation=causation
            )
    log.info("grant opened", grant_id=str(grant.id), programme_id=grant.programme_id, due_now=len(reached))
