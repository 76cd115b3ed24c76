"""Issue 14's events, projected from their documented shapes (intake's MonitoringVisitRecorded,
grants' InstallmentCancelled): read here through views of the fields reporting needs, so the read
model follows them the moment they are on the topics."""

from __future__ import annotations

from datetime import date
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.core.facts import UNSPECIFIED, Movement
from services.reporting.store import projection as store
from shared.db import Connection
from shared.events.envelope import Envelope, MalformedEvent
from shared.money import Money

V = TypeVar("V", bound=BaseModel)

MONITORING_VISIT_RECORDED = "MonitoringVisitRecorded"
INSTALLMENT_CANCELLED = "InstallmentCancelled"


class VisitView(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: UUID
    visit_id: UUID
    visit_number: int = Field(ge=1)
    scheduled_month: int | None = None
    visited_on: date
    dimension_scores: dict[str, float]
    composite: float = Field(ge=0, le=1)


class CancelledView(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    grant_id: UUID
    case_id: UUID
    installment_id: UUID
    assistance_type: str | None = None
    released: Money


def _view(model: type[V], envelope: Envelope) -> V:
    try:
        return model.model_validate(envelope.data)
    except ValueError as error:
        raise MalformedEvent(f"{envelope.type} {envelope.event_id}: {error}") from error


async def visit_recorded(connection: Connection, generation: int, envelope: Envelope) -> None:
    visit = _view(VisitView, envelope)
    await store.add_visit(
        connection,
        generation,
        visit.visit_id,
        case_id=visit.case_id,
        visit_number=visit.visit_number,
        scheduled_month=visit.scheduled_month,
        visited_on=visit.visited_on,
        scores=visit.dimension_scores,
        composite=visit.composite,
    )


async def installment_cancelled(connection: Connection, generation: int, envelope: Envelope) -> None:
    """A waiting installment cancelled (the returnee re-migrated): its amount released."""
    cancelled = _view(CancelledView, envelope)
    grant = await store.grant_of(connection, generation, cancelled.grant_id)
    if grant is None:
        raise LookupError(
            f"installment {cancelled.installment_id} of grant {cancelled.grant_id}, not in the model"
        )
    programme_id, currency, _ = grant
    known = await store.installment_types(connection, generation, [cancelled.installment_id])
    kind = cancelled.assistance_type or known.get(cancelled.installment_id, (UNSPECIFIED, 0))[0]
    await store.installment_status(connection, generation, [cancelled.installment_id], "cancelled")
    await store.add_movements(
        connection,
        generation,
        envelope.event_id,
        grant_id=cancelled.grant_id,
        case_id=cancelled.case_id,
        programme_id=programme_id,
        currency=currency,
        at=envelope.occurred_at,
        movements=[(kind, Movement.RELEASED, cancelled.released.amount)],
    )
