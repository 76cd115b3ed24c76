"""Every event grants publishes is queued here: into the outbox, in the caller's transaction (the
relay publishes it on grants.installments.v1 after the commit)."""

from __future__ import annotations

from typing import TypedDict
from uuid import UUID

from services.grants.core.grant import Installment
from services.grants.core.schedule import PlannedInstallment
from shared import outbox
from shared.db import Connection
from shared.events.envelope import Envelope, new_envelope
from shared.events.grants import GrantEvent, ScheduledInstallment
from shared.money import Money

from .context import PRODUCER, GrantsContext


async def queue_grant_event(
    connection: Connection,
    context: GrantsContext,
    event: GrantEvent,
    *,
    correlation_id: UUID,
    causation: Envelope | None = None,
) -> None:
    """Queue `event` on grants.installments.v1, keyed by case id. A grant's events all carry the
    correlation id of the plan approval that started it."""
    envelope = new_envelope(
        event, key=event.case_id, producer=PRODUCER, causation=causation, correlation_id=correlation_id
    )
    await outbox.append(connection, context.topics.grants_installments, envelope)


class InstallmentEventFields(TypedDict):
    grant_id: UUID
    case_id: UUID
    installment_id: UUID
    amount: Money


def installment_event_fields(installment: Installment) -> InstallmentEventFields:
    """The fields every installment event carries."""
    return {
        "grant_id": installment.grant_id,
        "case_id": installment.case_id,
        "installment_id": installment.id,
        "amount": installment.amount,
    }


def scheduled_installment(
    installment_id: UUID, terms: Installment | PlannedInstallment
) -> ScheduledInstallment:
    """An installment as GrantOpened and GrantAmended announce it: its schedule and its terms."""
    return ScheduledInstallment(
        installment_id=installment_id,
        sequence=terms.sequence,
        amount=terms.amount,
        milestone=terms.milestone,
        due_on=terms.due_on,
        assistance_type=terms.assistance_type,
        visit=terms.visit,
        min_composite=float(terms.min_composite) if terms.min_composite is not None else None,
        category=terms.category,
    )
