"""Intake's events (`intake.returnees.v1`), as referral applies them: parse → decide (routing,
status: pure) → rows + outbox through one CaseBook, in the caller's transaction.

NeedsAssessed (and a ReturneeRegistered that carries needs) and ConsentChanged bring the case's
referrals in line with its facts: those no longer needed or consented are withdrawn, every needed
category without a live referral is placed; a category whose consent was withdrawn also sends each
partner that was ever sent the case in it an ErasureRequested (a completed referral's partner holds
data too). CaseClosed withdraws every referral still open. The return itself (issue 13): ArrivalAnnounced
issues airport reception, transport and the categories the directory issues on announcement;
ArrivalRescheduled withdraws the open reception and transport referrals and issues them anew (new
referral ids, the new flight, deadlines measured back from the new time); ArrivalConfirmed issues
every other needed category and withdraws reception and transport referrals nobody accepted;
ArrivalCancelled and ArrivalMissed end the case as CaseClosed does. HouseholdChanged (issue 15) is a
facts event like NeedsAssessed: the household as it is now, for what is issued from now on.
CaseReopened makes the case's facts events count again and issues nothing by itself.
CaseAssigned records who works on the case (read-scopes only). PersonalDataErased withdraws any still
open, asks every partner that ever received the case to delete it (ErasureRequested), and drops
referral's copy of the case's facts. Other types are not referral's: they are recorded in the inbox
and skipped.

`apply_returnee_events` runs inside `shared.inbox.apply_batch`'s transaction and applies a batch
strictly in order, so its inbox, referral and outbox rows commit together or not at all. A message
that breaks a rule raises (MalformedEvent, a Poison): `apply_batch` then applies the batch again
message by message, and the one at fault is dead-lettered with the reason while the rest commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import structlog

from services.referral.core.events import Occasion
from services.referral.core.referral import Assignment, Referral
from services.referral.core.routing import plan_referrals
from services.referral.core.status import FINAL, PENDING, SETTLED, to_withdraw
from services.referral.store.casebook import CaseBook
from shared.db import Connection
from shared.events import Category, Envelope, ErasureReason, ReferralStatus
from shared.events.codes import ARRIVAL_CATEGORIES
from shared.events.intake import (
    ArrivalAnnounced,
    ArrivalCancelled,
    ArrivalConfirmed,
    ArrivalMissed,
    ArrivalRescheduled,
    CaseAssigned,
    CaseClosed,
    CaseFacts,
    CaseReopened,
    ConsentChanged,
    HouseholdChanged,
    NeedsAssessed,
    PersonalDataErased,
    ReturneeRegistered,
)
from shared.tracing import message_span

from .context import ReferralContext
from .referral_changes import ReferralChanges

log = structlog.get_logger("referral.returnees")

ReturneeEvent = (
    CaseFacts
    | ConsentChanged
    | CaseClosed
    | CaseReopened
    | CaseAssigned
    | PersonalDataErased
    | ArrivalCancelled
    | ArrivalMissed
)
# the facts events referral routes on
FACTS_EVENTS = frozenset(
    e.event_type
    for e in (
        NeedsAssessed,
        ReturneeRegistered,
        ArrivalAnnounced,
        ArrivalRescheduled,
        ArrivalConfirmed,
        HouseholdChanged,
    )
)
# reception and transport referrals in these statuses are reissued when the flight changes, and
# withdrawn when the family arrives without anyone having accepted them
NOT_FINAL = frozenset(ReferralStatus) - FINAL
UNACCEPTED = NOT_FINAL - {ReferralStatus.ACCEPTED}
_FACTS_FIELDS = tuple(CaseFacts.model_fields)  # the routing facts kept of a fuller event


async def apply_returnee_events(
    context: ReferralContext, connection: Connection, envelopes: list[Envelope]
) -> None:
    events = [(envelope, _returnee_event(envelope)) for envelope in envelopes]
    book = CaseBook(connection)
    await book.load_cases(e.case_id for _, e in events if e is not None)
    # lock the places this batch is likely to fill in one go (others are locked when needed)
    await book.loads({c for _, e in events if e is not None for c in _needs(book, e)})
    for envelope, event in events:
        now = context.clock()
        with (
            structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id)),
            message_span(context.topics.returnees.name, envelope.event_id, envelope.type),
        ):
            if isinstance(event, CaseFacts):
                await _case_facts(context, book, envelope, event, now)
            elif isinstance(event, ConsentChanged):
                await _consent_changed(context, book, envelope, event, now)
            elif isinstance(event, CaseClosed):
                _case_closed(context, book, envelope, event, now)
            elif isinstance(event, CaseReopened):
                _case_reopened(book, event)
            elif isinstance(event, ArrivalCancelled):
                _return_ended(context, book, envelope, event.case_id, "arrival_cancelled", now)
            elif isinstance(event, ArrivalMissed):
                _return_ended(context, book, envelope, event.case_id, "arrival_missed", now)
            elif isinstance(event, CaseAssigned):
                _case_assigned(book, event)
            elif isinstance(event, PersonalDataErased):
                _personal_data_erased(context, book, envelope, event, now)
            else:
                # ReintegrationPlanApproved is for grants; types added later are not ours either
                log.info("event not for referral; recorded and skipped", event_type=envelope.type)
    await book.flush()


async def _case_facts(
    context: ReferralContext, book: CaseBook, envelope: Envelope, facts: CaseFacts, now: datetime
) -> None:
    case = book.case(facts.case_id)
    if case is not None and case.closed:
        log.info("case is closed; facts ignored", case_id=str(facts.case_id))
        return
    book.save_case(facts)
    if envelope.type in (ReturneeRegistered.event_type, ArrivalAnnounced.event_type):
        first: ReturneeRegistered | ArrivalAnnounced = (
            envelope.event_as(ReturneeRegistered)
            if envelope.type == ReturneeRegistered.event_type
            else envelope.event_as(ArrivalAnnounced)
        )
        book.assign_case(Assignment(facts.case_id, first.assigned_to, first.office))
        # a registration without needs only tells us the case exists; an assessment is the full list
        if not facts.needs:
            return
    if envelope.type == ArrivalRescheduled.event_type:
        _end_arrival_referrals(context, book, envelope, facts, NOT_FINAL, "arrival_rescheduled", now)
    elif envelope.type == ArrivalConfirmed.event_type:
        _end_arrival_referrals(context, book, envelope, facts, UNACCEPTED, "arrival_confirmed", now)
    await _reconcile(context, book, envelope, facts, now)


def _end_arrival_referrals(
    context: ReferralContext,
    book: CaseBook,
    envelope: Envelope,
    facts: CaseFacts,
    statuses: frozenset[ReferralStatus],
    reason: str,
    now: datetime,
) -> None:
    """Withdraw the case's reception and transport referrals in `statuses`. After a reschedule
    `_reconcile` issues them anew: a new ReferralIssued rather than a new event type, since a
    partner built before the change acts on the types it already knows (see the contract)."""
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    for referral in book.referrals_of(facts.case_id):
        if referral.category in ARRIVAL_CATEGORIES and referral.status in statuses:
            changes.move(referral, ReferralStatus.WITHDRAWN, reason)


def _return_ended(
    context: ReferralContext, book: CaseBook, envelope: Envelope, case_id: UUID, reason: str, now: datetime
) -> None:
    """An announced return that did not happen (cancelled, or missed): the case ends here as a
    closure would end it, and every referral still open is withdrawn with the reason."""
    if book.case(case_id) is None:
        log.info("end of a return referral never saw; skipped", case_id=str(case_id))
        return
    book.close_case(case_id)
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    for referral in book.referrals_of(case_id):
        if referral.status not in FINAL:
            changes.move(referral, ReferralStatus.WITHDRAWN, reason)


async def _consent_changed(
    context: ReferralContext, book: CaseBook, envelope: Envelope, event: ConsentChanged, now: datetime
) -> None:
    case = book.case(event.case_id)
    if case is None or case.closed:
        # nothing is routed for a case we have no facts for; its assessment carries the consent
        log.info("consent change for an unknown or closed case; skipped", case_id=str(event.case_id))
        return
    consent = {**case.facts.consent, **event.consent}
    consent.update({c: True for c in event.granted})
    consent.update({c: False for c in event.withdrawn})
    facts = case.facts.model_copy(update={"consent": consent})
    book.save_case(facts)
    await _reconcile(context, book, envelope, facts, now)
    if event.withdrawn:
        changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
        changes.request_erasure(
            book.referrals_of(event.case_id), ErasureReason.CONSENT_WITHDRAWN, event.withdrawn
        )


def _personal_data_erased(
    context: ReferralContext, book: CaseBook, envelope: Envelope, event: PersonalDataErased, now: datetime
) -> None:
    case = book.case(event.case_id)
    if case is None or case.erased:
        log.info("erasure of a case referral holds nothing of; skipped", case_id=str(event.case_id))
        return
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    for referral in book.referrals_of(event.case_id):
        if referral.status not in FINAL:
            changes.move(referral, ReferralStatus.WITHDRAWN, "personal_data_erased")
    changes.request_erasure(book.referrals_of(event.case_id), event.reason)
    book.erase_case(event.case_id)


def _case_assigned(book: CaseBook, event: CaseAssigned) -> None:
    """Who works on the case now: kept for read-scopes (a caseworker limited to their own or their
    office's cases sees only those cases' referrals); routing does not look at it."""
    if book.case(event.case_id) is None:
        log.info("assignment of a case referral never saw; skipped", case_id=str(event.case_id))
        return
    book.assign_case(Assignment(event.case_id, event.assigned_to, event.office))


def _case_closed(
    context: ReferralContext, book: CaseBook, envelope: Envelope, event: CaseClosed, now: datetime
) -> None:
    if book.case(event.case_id) is None:
        log.info("closure of a case referral never saw; skipped", case_id=str(event.case_id))
        return
    book.close_case(event.case_id)
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    for referral in book.referrals_of(event.case_id):
        if referral.status not in FINAL:
            changes.move(referral, ReferralStatus.WITHDRAWN, "case_closed")


def _case_reopened(book: CaseBook, event: CaseReopened) -> None:
    """A supervisor reopened the case: its facts events count again. Nothing is issued now: the
    referrals the closure withdrew stay withdrawn (their partners were told), and the next facts
    event — the caseworker's assessment, a household change — says what the case needs."""
    case = book.case(event.case_id)
    if case is None or case.erased:
        log.info("reopening of a case referral holds nothing of; skipped", case_id=str(event.case_id))
        return
    book.reopen_case(event.case_id)


async def _reconcile(
    context: ReferralContext, book: CaseBook, envelope: Envelope, facts: CaseFacts, now: datetime
) -> None:
    """Bring the case's referrals in line with its facts: end those no longer needed or
    consented, place every needed category that has no live referral."""
    changes = ReferralChanges(book, context.topics, Occasion(now, envelope))
    referrals = book.referrals_of(facts.case_id)
    # once the family has arrived, reception and transport are what happened at the arrival: an
    # assessment that does not name them does not undo them (their partners complete them)
    needs = facts.needs if facts.expected_arrival else [*facts.needs, *ARRIVAL_CATEGORIES]
    ending = {
        w.referral_id: w.reason
        for w in to_withdraw([r.state for r in referrals], needs=needs, consent=facts.consent)
    }
    standing: list[Referral] = []
    for referral in referrals:
        if referral.referral_id in ending:
            changes.move(referral, ReferralStatus.WITHDRAWN, ending[referral.referral_id])
        else:
            standing.append(referral)
    settled = {r.category for r in standing if r.status in SETTLED}
    pending = {r.category: r for r in standing if r.status in PENDING}
    loads = await book.loads([c for c in facts.needs if c not in settled])
    declined = book.declined_partners(facts.case_id)
    for placement in plan_referrals(facts, context.directory, loads, now, settled=settled, excluded=declined):
        waiting = pending.get(placement.category)
        if waiting is None:
            changes.open(facts.case_id, placement, envelope.correlation_id)
        elif waiting.status is not placement.status:
            changes.place(waiting, placement)


def _returnee_event(envelope: Envelope) -> ReturneeEvent | None:
    """The typed event, for the types referral acts on (MalformedEvent if its data is wrong)."""
    if envelope.type in FACTS_EVENTS:
        facts = envelope.event_as(CaseFacts)
        # only the routing facts are kept (a registration carries more than referral needs); they
        # were validated just now: the nested models are taken over as they are (pydantic does
        # not validate instances again), which measured faster than model_construct
        return CaseFacts.model_validate({name: getattr(facts, name) for name in _FACTS_FIELDS})
    if envelope.type == ConsentChanged.event_type:
        return envelope.event_as(ConsentChanged)
    if envelope.type == CaseClosed.event_type:
        return envelope.event_as(CaseClosed)
    if envelope.type == CaseReopened.event_type:
        return envelope.event_as(CaseReopened)
    if envelope.type == CaseAssigned.event_type:
        return envelope.event_as(CaseAssigned)
    if envelope.type == PersonalDataErased.event_type:
        return envelope.event_as(PersonalDataErased)
    if envelope.type == ArrivalCancelled.event_type:
        return envelope.event_as(ArrivalCancelled)
    if envelope.type == ArrivalMissed.event_type:
        return envelope.event_as(ArrivalMissed)
    return None


def _needs(book: CaseBook, event: ReturneeEvent) -> Iterable[Category]:
    if isinstance(event, CaseFacts):
        return event.needs
    case = book.case(event.case_id)
    return case.facts.needs if isinstance(event, ConsentChanged) and case is not None else ()
