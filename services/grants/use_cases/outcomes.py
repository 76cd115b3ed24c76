"""Installments that follow outcomes: a monitoring visit (intake.returnees.v1) or a completed
referral (referral.status.v1) is recorded as what the case achieved, and the installments of the
case's open grants whose milestone it reaches fall due (each once: only a `scheduled` installment
falls due, and the inbox keeps a re-delivered event from being applied twice).

A visit that finds the returnee re-migrated reaches nothing: every installment of the case's open
grants still waiting for its milestone is cancelled (InstallmentCancelled) and its amount released
to the programme's budget, one balanced ledger transaction each — never an edit of what is there.
"""

from __future__ import annotations

from uuid import UUID

import structlog

from services.grants.core.grant import Installment
from services.grants.core.outcomes import VisitOutcome
from services.grants.core.rules import GrantStatus, InstallmentStatus, milestone_reached
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from services.grants.store import outcomes as outcome_store
from services.grants.store import programmes as programme_store
from shared.db import Connection
from shared.events.codes import CancellationReason, ReferralStatus
from shared.events.envelope import Envelope
from shared.events.intake import MonitoringVisitRecorded
from shared.events.referral import ReferralStatusChanged

from .cancelling import cancel_waiting_of_grant
from .context import GrantsContext
from .milestones import fall_due
from .opening import open_waiting_grants

log = structlog.get_logger("grants.outcomes")


async def visit_recorded(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    visit = envelope.event_as(MonitoringVisitRecorded)
    outcome = VisitOutcome(
        visit_number=visit.visit_number,
        composite=visit.composite,
        business_operating=visit.business_operating,
        re_migrated=visit.re_migrated,
    )
    await outcome_store.add_visit(connection, envelope.event_id, visit.case_id, envelope.occurred_at, outcome)
    if visit.re_migrated:
        await cancel_waiting_installments(
            connection, context, visit.case_id, CancellationReason.RE_MIGRATED, causation=envelope
        )
    else:
        await installments_reached(connection, context, visit.case_id, causation=envelope)


async def referral_status_changed(connection: Connection, context: GrantsContext, envelope: Envelope) -> None:
    """Only a completion is an outcome; every other status is recorded in the inbox and ignored."""
    changed = envelope.event_as(ReferralStatusChanged)
    if changed.status is not ReferralStatus.COMPLETED:
        return
    await outcome_store.add_completed_referral(
        connection, envelope.event_id, changed.case_id, envelope.occurred_at, changed.category
    )
    await installments_reached(connection, context, changed.case_id, causation=envelope)


async def installments_reached(
    connection: Connection, context: GrantsContext, case_id: UUID, *, causation: Envelope
) -> None:
    """The case's open grants: the waiting installments what the case achieved reaches fall due.
    (A grant still awaiting funding takes them when it opens: `opening._open` looks too.)"""
    outcomes = await outcome_store.outcomes_of(connection, case_id)
    today = context.today()
    for candidate in await grant_store.active_grants_of_case(connection, case_id):
        grant = await grant_store.grant(connection, candidate.id, lock=True)
        if grant is None or grant.status is not GrantStatus.OPEN:
            continue
        installments = await installment_store.installments_of(connection, grant.id, lock=True)
        reached = [
            i
            for i in installments
            if i.status is InstallmentStatus.SCHEDULED
            and milestone_reached(i.terms(), today, grant.business_plan_verified, outcomes)
        ]
        await fall_due(connection, context, reached, causation=causation)
        if reached:
            log.info("outcome installments fell due", grant_id=str(grant.id), count=len(reached))


async def cancel_waiting_installments(
    connection: Connection,
    context: GrantsContext,
    case_id: UUID,
    reason: CancellationReason,
    *,
    causation: Envelope,
) -> list[Installment]:
    """Cancel every installment of the case's open grants that still waits for its milestone and
    release its amount from the grant's commitment; return them. The grant stays open: what is
    due, approved or paid is not touched (its milestone was reached). A grant still awaiting
    funding is left: when it opens, `opening._open` cancels its waiting installments the same way."""
    cancelled: list[Installment] = []
    for candidate in await grant_store.active_grants_of_case(connection, case_id):
        if candidate.status is not GrantStatus.OPEN:
            continue
        await programme_store.lock_programme(connection, candidate.programme_id)
        grant = await grant_store.grant(connection, candidate.id, lock=True)
        if grant is None or grant.status is not GrantStatus.OPEN:
            continue
        waiting = await cancel_waiting_of_grant(connection, context, grant, reason, causation=causation)
        if waiting:
            cancelled += waiting
            # the released budget may open a grant that waits for funding
            await open_waiting_grants(connection, context, grant.programme_id, causation=causation)
    return cancelled
