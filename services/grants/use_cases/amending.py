"""ReintegrationPlanAmended (issue 15, point 2): the plan's grant follows the amended plan.

The amended plan is sized exactly as an approval is (`installment_schedule`, on the grant's own
approval day, so the days-after-arrival due dates stay where they were); `core.amendment.adjust`
says what changes; here it is stored in the consumer's transaction — the ledger postings (an open
grant's releases, then its commitment), the installments cancelled and added, the grant's total,
GrantAmended through the outbox — and the added installments whose milestone is already reached
fall due. A grant awaiting funding has nothing in the ledger yet: its installments change, no
posting. A closed grant is not amended (the case was closed: a reopened case needs a new plan).

Refused, and so dead-lettered with the reason (PlanRejected, a Poison): an amendment whose
additions the programme's available budget cannot carry (never overdrawn), one that would leave
the grant nothing (close the case instead), or one beyond the household's ceiling."""

from __future__ import annotations

from uuid import UUID

import structlog

from services.grants.core.amendment import adjust, adjustment_postings
from services.grants.core.errors import PlanRejected
from services.grants.core.policies import UnknownProgramme
from services.grants.core.rules import GrantStatus, milestone_reached
from services.grants.core.schedule import PlannedInstallment, PlanNotFundable, installment_schedule
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.store import ledger as ledger_store
from services.grants.store import outcomes as outcome_store
from services.grants.store import programmes as programme_store
from shared.db import Connection
from shared.events.codes import CancellationReason
from shared.events.envelope import Envelope
from shared.events.grants import GrantAmended
from shared.events.intake import ReintegrationPlanAmended

from .context import SYSTEM_ACTOR, GrantsContext
from .grant_events import queue_grant_event, scheduled_installment
from .milestones import fall_due
from .opening import open_waiting_grants

log = structlog.get_logger("grants.amending")


async def amend_grant(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    amended = envelope.event_as(ReintegrationPlanAmended)
    found = await grant_store.grant_for_plan(connection, amended.plan_id)
    if found is None or found.status is GrantStatus.CLOSED:
        log.info(
            "amendment of a plan without an active grant; nothing to adjust", plan_id=str(amended.plan_id)
        )
        return
    try:
        programme = context.policies.programme(found.programme_id)
    except UnknownProgramme as error:
        raise PlanRejected(str(error)) from error
    try:
        schedule = installment_schedule(found.id, amended, programme, approved_on=found.approved_on)
        planned: list[PlannedInstallment] = schedule.installments
        ceiling = schedule.ceiling
    except PlanNotFundable:
        planned, ceiling = [], found.ceiling
    await programme_store.lock_programme(connection, programme.id)
    grant = await grant_store.grant(connection, found.id, lock=True)
    if grant is None or grant.status is GrantStatus.CLOSED:
        return
    installments = await installment_store.installments_of(connection, grant.id, lock=True)
    adjustment = adjust(grant, installments, planned)
    if not adjustment.changed:
        log.info("amendment leaves the grant as it is", grant_id=str(grant.id))
        return
    if adjustment.total.amount <= 0:
        raise PlanRejected(
            f"amendment {amended.amendment_id} leaves grant {grant.id} nothing: close the case"
        )
    if adjustment.total.amount > max(ceiling.amount, grant.ceiling.amount):
        raise PlanRejected(
            f"amendment {amended.amendment_id} takes grant {grant.id} beyond its ceiling {ceiling}"
        )
    if grant.status is GrantStatus.OPEN:
        available = await ledger_store.available_budget(connection, programme.id)
        if adjustment.committed.amount - adjustment.released.amount > available:
            raise PlanRejected(
                f"amendment {amended.amendment_id} needs {adjustment.committed} more for grant {grant.id};"
                f" programme {programme.id} has {available} available"
            )
        # the adjustment's postings in one append (one chain-head lock, one key lookup)
        await ledger_store.append_postings(
            connection, adjustment_postings(grant, amended.amendment_id, adjustment), recorded_by=SYSTEM_ACTOR
        )
    await installment_store.cancel(
        connection, [i.id for i in adjustment.cancelled], CancellationReason.PLAN_AMENDED
    )
    await grant_store.insert_installments(connection, grant.id, adjustment.added)
    await grant_store.set_total(connection, grant.id, adjustment.total, max(ceiling, grant.ceiling))
    await queue_grant_event(
        connection,
        context,
        GrantAmended(
            grant_id=grant.id,
            case_id=grant.case_id,
            amendment_id=amended.amendment_id,
            programme_id=grant.programme_id,
            total=adjustment.total,
            released=adjustment.released,
            committed=adjustment.committed,
            not_reduced=adjustment.not_reduced,
            cancelled_installments=[i.id for i in adjustment.cancelled],
            added=[scheduled_installment(p.installment_id, p) for p in adjustment.added],
        ),
        correlation_id=grant.correlation_id,
        causation=envelope,
    )
    log.info(
        "grant amended",
        grant_id=str(grant.id),
        released=adjustment.released.amount,
        committed=adjustment.committed.amount,
        cancelled=len(adjustment.cancelled),
        added=len(adjustment.added),
    )
    if grant.status is GrantStatus.OPEN:
        await _due_now(connection, context, grant.id, {p.installment_id for p in adjustment.added}, envelope)
    if adjustment.released.amount > adjustment.committed.amount:
        # what went back to the budget may fund a grant waiting for it
        await open_waiting_grants(connection, context, programme.id, causation=envelope)


async def _due_now(
    connection: Connection, context: GrantsContext, grant_id: UUID, added: set[UUID], envelope: Envelope
) -> None:
    """Added installments whose milestone is already reached fall due at once, as at opening."""
    grant = await grant_store.grant(connection, grant_id)
    if grant is None:
        return
    outcomes = await outcome_store.outcomes_of(connection, grant.case_id)
    today = context.today()
    reached = [
        i
        for i in await installment_store.installments_of(connection, grant.id)
        if i.id in added and milestone_reached(i.terms(), today, grant.business_plan_verified, outcomes)
    ]
    await fall_due(connection, context, reached, causation=envelope)
