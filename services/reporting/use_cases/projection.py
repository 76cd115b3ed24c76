"""Each consumed event into the read model, once per generation (the live consumer's and a
rebuild's alike). Events of one case arrive in order on each topic; across topics they may come in
any order, so every fact is kept as its own row and joined only when a report reads them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from services.reporting.core.facts import UNSPECIFIED, Member, Movement
from services.reporting.core.money import split_by_type
from services.reporting.store import model
from services.reporting.store import projection as store
from shared.db import Connection
from shared.events.envelope import Envelope
from shared.events.grants import (
    GrantAmended,
    GrantClosed,
    GrantOpened,
    InstallmentApproved,
    InstallmentDisbursed,
    InstallmentDue,
    InstallmentFailed,
    LedgerCheckpointSigned,
)
from shared.events.intake import (
    CaseClosed,
    CaseFacts,
    CaseReopened,
    HouseholdChanged,
    NeedsAssessed,
    PersonalDataErased,
    ReturneeRegistered,
)
from shared.events.referral import ReferralStatusChanged

from .outcomes import INSTALLMENT_CANCELLED, MONITORING_VISIT_RECORDED, installment_cancelled, visit_recorded

Projector = Callable[[Connection, int, Envelope], Awaitable[None]]


async def apply_live(connection: Connection, envelopes: Sequence[Envelope]) -> None:
    """The live consumer's batch: into the live generation, which a swap cannot move meanwhile."""
    generation = await model.live_generation(connection, share_lock=True)
    await apply_events(connection, generation, envelopes)


async def apply_events(connection: Connection, generation: int, envelopes: Sequence[Envelope]) -> None:
    for envelope in envelopes:
        projector = PROJECTORS.get(envelope.type)
        if not await store.first_application(connection, generation, envelope.event_id):
            continue
        if projector is not None:
            await projector(connection, generation, envelope)


# the events that carry a case's facts: the registration, an assessment, a household change
FACTS_MODELS: dict[str, type[CaseFacts]] = {
    e.event_type: e for e in (ReturneeRegistered, NeedsAssessed, HouseholdChanged)
}


def _members(facts: CaseFacts) -> list[Member]:
    return [Member(age=m.age, sex=m.sex.value, relationship=m.relationship.value) for m in facts.household]


async def _case_facts(connection: Connection, generation: int, envelope: Envelope) -> None:
    facts = envelope.event_as(FACTS_MODELS[envelope.type])
    arrival: date | None = facts.arrival_date or await store.case_arrival(
        connection, generation, facts.case_id
    )
    await store.save_case(
        connection,
        generation,
        facts.case_id,
        programme_id=facts.programme_id,
        arrival_date=arrival or envelope.occurred_at.date(),
        registered_at=envelope.occurred_at,
        vulnerabilities=[v.value for v in facts.vulnerabilities],
        members=_members(facts),
    )


async def _closed(connection: Connection, generation: int, envelope: Envelope) -> None:
    closed = envelope.event_as(CaseClosed)
    await store.close_case(connection, generation, closed.case_id, closed.reason.value, envelope.occurred_at)


async def _reopened(connection: Connection, generation: int, envelope: Envelope) -> None:
    # a reopened case is open again: its closure no longer counts (a later closure records its own)
    reopened = envelope.event_as(CaseReopened)
    await store.reopen_case(connection, generation, reopened.case_id)


async def _erased(connection: Connection, generation: int, envelope: Envelope) -> None:
    # the model holds no name, document, contact or free text of anyone: the codes stay, as in intake
    erased = envelope.event_as(PersonalDataErased)
    await store.mark_erased(connection, generation, erased.case_id, envelope.occurred_at)


async def _referral(connection: Connection, generation: int, envelope: Envelope) -> None:
    changed = envelope.event_as(ReferralStatusChanged)
    await store.referral_status(
        connection,
        generation,
        changed.referral_id,
        case_id=changed.case_id,
        category=changed.category.value,
        status=changed.status.value,
        at=envelope.occurred_at,
    )


async def _grant_opened(connection: Connection, generation: int, envelope: Envelope) -> None:
    opened = envelope.event_as(GrantOpened)
    kinds = [
        (
            i.installment_id,
            i.sequence,
            (i.assistance_type.value if i.assistance_type else UNSPECIFIED),
            i.amount.amount,
        )
        for i in opened.installments
    ]
    await store.open_grant(
        connection,
        generation,
        opened.grant_id,
        case_id=opened.case_id,
        programme_id=opened.programme_id,
        currency=opened.total.currency,
        total=opened.total.amount,
        at=envelope.occurred_at,
        installments=kinds,
    )
    committed = split_by_type(((kind, amount) for _, _, kind, amount in kinds), opened.total.amount)
    await store.add_movements(
        connection,
        generation,
        envelope.event_id,
        grant_id=opened.grant_id,
        case_id=opened.case_id,
        programme_id=opened.programme_id,
        currency=opened.total.currency,
        at=envelope.occurred_at,
        movements=[(kind, Movement.COMMITTED, amount) for kind, amount in committed],
    )


async def _payment(connection: Connection, generation: int, envelope: Envelope) -> None:
    """A payment (disbursed), or its failure or return (returned; and released when the grant had
    closed, as grants then gives the money back to the budget)."""
    paid = envelope.type == InstallmentDisbursed.event_type
    event = envelope.event_as(InstallmentDisbursed if paid else InstallmentFailed)
    grant = await store.grant_of(connection, generation, event.grant_id)
    if grant is None:  # grants publishes GrantOpened first, on the same partition: not reached
        raise LookupError(
            f"installment {event.installment_id} of grant {event.grant_id}, which the model lacks"
        )
    programme_id, currency, closed = grant
    kinds = await store.installment_types(connection, generation, [event.installment_id])
    kind = kinds.get(event.installment_id, (UNSPECIFIED, 0))[0]
    amount = event.amount.amount
    movements = [(kind, Movement.DISBURSED, amount)] if paid else [(kind, Movement.RETURNED, amount)]
    if not paid and closed:
        movements.append((kind, Movement.RELEASED, amount))
    await store.installment_status(
        connection, generation, [event.installment_id], "disbursed" if paid else "failed"
    )
    await store.add_movements(
        connection,
        generation,
        envelope.event_id,
        grant_id=event.grant_id,
        case_id=event.case_id,
        programme_id=programme_id,
        currency=currency,
        at=envelope.occurred_at,
        movements=movements,
    )


async def _installment_moved(connection: Connection, generation: int, envelope: Envelope) -> None:
    """Due or approved: the installment's state, no money moves."""
    due = envelope.type == InstallmentDue.event_type
    event = envelope.event_as(InstallmentDue if due else InstallmentApproved)
    await store.installment_status(
        connection, generation, [event.installment_id], "due" if due else "approved"
    )


async def _grant_closed(connection: Connection, generation: int, envelope: Envelope) -> None:
    closed = envelope.event_as(GrantClosed)
    grant = await store.grant_of(connection, generation, closed.grant_id)
    if grant is None:
        raise LookupError(f"grant {closed.grant_id} closed, but the model lacks it")
    programme_id, currency, _ = grant
    cancelled = await store.installment_types(connection, generation, closed.cancelled_installments)
    await store.installment_status(connection, generation, closed.cancelled_installments, "cancelled")
    await store.close_grant(connection, generation, closed.grant_id, envelope.occurred_at)
    released = split_by_type(cancelled.values(), closed.released.amount)
    await store.add_movements(
        connection,
        generation,
        envelope.event_id,
        grant_id=closed.grant_id,
        case_id=closed.case_id,
        programme_id=programme_id,
        currency=currency,
        at=envelope.occurred_at,
        movements=[(kind, Movement.RELEASED, amount) for kind, amount in released],
    )


async def _grant_amended(connection: Connection, generation: int, envelope: Envelope) -> None:
    """An amended plan's grant: the cancelled installments' amounts released, the added ones
    committed, by assistance type (issue 15)."""
    amended = envelope.event_as(GrantAmended)
    grant = await store.grant_of(connection, generation, amended.grant_id)
    if grant is None:
        raise LookupError(f"grant {amended.grant_id} amended, but the model lacks it")
    programme_id, currency, _ = grant
    cancelled = await store.installment_types(connection, generation, amended.cancelled_installments)
    await store.installment_status(connection, generation, amended.cancelled_installments, "cancelled")
    added = [
        (
            i.installment_id,
            i.sequence,
            (i.assistance_type.value if i.assistance_type else UNSPECIFIED),
            i.amount.amount,
        )
        for i in amended.added
    ]
    await store.add_installments(connection, generation, amended.grant_id, added)
    await store.set_grant_total(connection, generation, amended.grant_id, amended.total.amount)
    released = split_by_type(cancelled.values(), amended.released.amount)
    committed = split_by_type(((kind, amount) for _, _, kind, amount in added), amended.committed.amount)
    await store.add_movements(
        connection,
        generation,
        envelope.event_id,
        grant_id=amended.grant_id,
        case_id=amended.case_id,
        programme_id=programme_id,
        currency=currency,
        at=envelope.occurred_at,
        movements=[(kind, Movement.RELEASED, amount) for kind, amount in released if amount]
        + [(kind, Movement.COMMITTED, amount) for kind, amount in committed if amount],
    )


async def _checkpoint(connection: Connection, generation: int, envelope: Envelope) -> None:
    signed = envelope.event_as(LedgerCheckpointSigned)
    await store.add_checkpoint(
        connection,
        generation,
        number=signed.number,
        entry_count=signed.entry_count,
        head_hash=signed.head_hash,
        merkle_root=signed.merkle_root,
        signed_at=signed.signed_at,
        key_id=signed.key_id,
    )


PROJECTORS: dict[str, Projector] = {
    ReturneeRegistered.event_type: _case_facts,
    NeedsAssessed.event_type: _case_facts,
    HouseholdChanged.event_type: _case_facts,
    CaseClosed.event_type: _closed,
    CaseReopened.event_type: _reopened,
    PersonalDataErased.event_type: _erased,
    ReferralStatusChanged.event_type: _referral,
    GrantOpened.event_type: _grant_opened,
    InstallmentDue.event_type: _installment_moved,
    InstallmentApproved.event_type: _installment_moved,
    InstallmentDisbursed.event_type: _payment,
    InstallmentFailed.event_type: _payment,
    GrantClosed.event_type: _grant_closed,
    GrantAmended.event_type: _grant_amended,
    LedgerCheckpointSigned.event_type: _checkpoint,
    MONITORING_VISIT_RECORDED: visit_recorded,
    INSTALLMENT_CANCELLED: installment_cancelled,
}
