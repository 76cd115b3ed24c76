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

from services.grants.core.errors import PlanRejected
from services.grants.core.ledger.postings import commitment
from services.grants.core.policies import UnknownProgramme
from services.grants.core.rules import GrantStatus, milestone_reached
from services.grants.core.schedule import PlanNotFundable, installment_schedule
from services.grants.store import grants as grant_store
from services.grants.store import ledger as ledger_store
from services.grants.store.grants import Row
from shared.db import Connection
from shared.events.codes import AssistanceType, Milestone
from shared.events.envelope import Envelope
from shared.events.grants import GrantAwaitingFunding, GrantOpened, InstallmentDue, ScheduledInstallment
from shared.events.ids import uuid7
from shared.events.intake import ReintegrationPlanApproved
from shared.money import Money

from .context import SYSTEM_ACTOR, GrantsContext
from .grant_events import emit

log = structlog.get_logger("grants.opening")


async def grant_for_approved_plan(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    """ReintegrationPlanApproved → a grant, opened at once or waiting for funding."""
    plan = envelope.event_as(ReintegrationPlanApproved)
    if await grant_store.grant_for_plan(connection, plan.plan_id) is not None:
        log.info("plan already has a grant; approval ignored", plan_id=str(plan.plan_id))
        return
    try:
        programme = context.policies.programme(plan.programme_id)
        schedule = installment_schedule(uuid7(), plan, programme, approved_on=envelope.occurred_at.date())
    except (UnknownProgramme, PlanNotFundable) as error:
        raise PlanRejected(str(error)) from error
    await grant_store.lock_programme(connection, programme.id)
    active = await grant_store.active_grants_of_case(connection, plan.case_id)
    if active:
        raise PlanRejected(
            f"case {plan.case_id} already has grant {active[0]['id']} ({active[0]['status']}) under plan "
            f"{active[0]['plan_id']}; close it before a new plan can be funded"
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
    ahead = sum(int(g["total"]) for g in await grant_store.waiting_grants(connection, programme.id))
    available = await ledger_store.available_budget(connection, programme.id)
    shortfall = Money(amount=ahead - available, currency=programme.currency)
    await emit(
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
    for row in await grant_store.waiting_grants(connection, programme_id):
        if int(row["total"]) > available:
            break  # no overtaking: the oldest waiting grant is funded first
        await _open(connection, context, row, causation=causation)
        available -= int(row["total"])
        opened.append(row["id"])
    return opened


async def _open(
    connection: Connection, context: GrantsContext, waiting: Row, *, causation: Envelope | None
) -> None:
    # re-read under the grant's lock: a business-plan verification may have committed meanwhile
    grant = await grant_store.grant(connection, waiting["id"], lock=True)
    assert grant is not None
    total = Money(amount=int(grant["total"]), currency=grant["currency"])
    await ledger_store.append_posting(
        connection, commitment(grant["programme_id"], grant["id"], total), recorded_by=SYSTEM_ACTOR
    )
    await grant_store.set_grant_status(connection, grant["id"], GrantStatus.OPEN)
    installments = await grant_store.installments_of(connection, grant["id"])
    await emit(
        connection,
        context,
        GrantOpened(
            grant_id=grant["id"],
            case_id=grant["case_id"],
            programme_id=grant["programme_id"],
            total=total,
            installments=[
                ScheduledInstallment(
                    installment_id=i["id"],
                    sequence=i["sequence"],
                    amount=Money(amount=int(i["amount"]), currency=i["currency"]),
                    milestone=Milestone(i["milestone"]),
                    due_on=i["due_on"],
                    assistance_type=AssistanceType(i["assistance_type"]),
                )
                for i in installments
            ],
        ),
        correlation_id=grant["correlation_id"],
        causation=causation,
    )
    verified = grant["business_plan_verified_at"] is not None
    reached = [
        i for i in installments if milestone_reached(i["milestone"], i["due_on"], context.today(), verified)
    ]
    await fall_due(
        connection,
        context,
        reached,
        case_id=grant["case_id"],
        correlation_id=grant["correlation_id"],
        causation=causation,
    )
    log.info(
        "grant opened", grant_id=str(grant["id"]), programme_id=grant["programme_id"], due_now=len(reached)
    )


async def fall_due(
    connection: Connection,
    context: GrantsContext,
    installments: list[Row],
    *,
    case_id: UUID,
    correlation_id: UUID,
    causation: Envelope | None = None,
) -> None:
    """Mark `installments` (of one case's grant) due and announce each with InstallmentDue."""
    if not installments:
        return
    await grant_store.mark_due(connection, [i["id"] for i in installments])
    for i in installments:
        await emit(
            connection,
            context,
            InstallmentDue(
                grant_id=i["grant_id"],
                case_id=case_id,
                installment_id=i["id"],
                amount=Money(amount=int(i["amount"]), currency=i["currency"]),
            ),
            correlation_id=correlation_id,
            causation=causation,
        )
