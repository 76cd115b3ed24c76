"""Installments falling due as their milestones are reached, and the milestone a finance officer
records: a verified business plan."""

from __future__ import annotations

from uuid import UUID

import structlog

from services.grants.core.errors import Conflict, NotFound
from services.grants.core.grant import Installment
from services.grants.core.rules import GrantStatus, InstallmentStatus
from services.grants.store import grants as grant_store
from services.grants.store import installments as installment_store
from shared.db import Connection, transaction
from shared.events.codes import Milestone
from shared.events.envelope import Envelope
from shared.events.grants import InstallmentDue
from shared.identity.model import User

from .context import GrantsContext
from .grant_events import installment_event_fields, queue_grant_event

log = structlog.get_logger("grants.milestones")


async def fall_due(
    connection: Connection,
    context: GrantsContext,
    installments: list[Installment],
    *,
    causation: Envelope | None = None,
) -> None:
    """Mark `installments` (of one grant) due and announce each with InstallmentDue."""
    if not installments:
        return
    await installment_store.mark_due(connection, [i.id for i in installments])
    for installment in installments:
        await queue_grant_event(
            connection,
            context,
            InstallmentDue(**installment_event_fields(installment)),
            correlation_id=installment.correlation_id,
            causation=causation,
        )


async def verify_business_plan(context: GrantsContext, grant_id: UUID, officer: User) -> list[Installment]:
    """Record the verification; the grant's business-plan installments fall due (at once if the
    grant is open, when it opens otherwise). Returns the grant's installments as they are now."""
    async with transaction(context.pool) as connection:
        grant = await grant_store.grant(connection, grant_id, lock=True)
        if grant is None or not officer.may_see_programme(grant.programme_id):
            raise NotFound(f"no grant {grant_id}")
        if grant.status is GrantStatus.CLOSED:
            raise Conflict("the grant is closed")
        if grant.business_plan_verified_at is not None:
            raise Conflict(
                f"the business plan was already verified by {grant.business_plan_verified_by} "
                f"on {grant.business_plan_verified_at:%Y-%m-%d}"
            )
        installments = await installment_store.installments_of(connection, grant_id, lock=True)
        waiting = [
            i
            for i in installments
            if i.milestone is Milestone.BUSINESS_PLAN_VERIFIED and i.status is InstallmentStatus.SCHEDULED
        ]
        if not waiting:
            raise Conflict("no installment of this grant waits for a business plan")
        await grant_store.record_business_plan_verified(connection, grant_id, officer.name)
        if grant.status is GrantStatus.OPEN:
            await fall_due(connection, context, waiting)
        log.info("business plan verified", grant_id=str(grant_id), due_now=grant.status is GrantStatus.OPEN)
        return await installment_store.installments_of(connection, grant_id)
