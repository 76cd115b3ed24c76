"""What each consumed event does: parse → decide (routing, status: pure) → persist + outbox.

The consumers hand over batches: `on_returnee_events` / `on_partner_responses` run inside
`shared.inbox.apply_batch`'s transaction, read and change state through one CaseBook (loaded in a
few queries, written back in a few), and apply the events strictly in order, so the inbox rows, the
referral rows and the outbox rows of the batch commit together or not at all. A rule break raises
(RefusedTransition, UnexpectedEvent, MalformedEvent): `apply_batch` then applies the batch again
message by message, and the message at fault is dead-lettered with the reason while the rest commit.
`on_returnee_event` / `on_partner_response` are the same for one event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from shared.db import Connection
from shared.events import Category, Envelope, ReferralStatus
from shared.events.intake import CaseClosed, CaseFacts, ConsentChanged, NeedsAssessed, ReturneeRegistered
from shared.events.referral import PartnerResponse, ReferralCompleted, ReferralDeclined
from shared.poison import Poison
from shared.topics import Topics

from .casebook import CaseBook
from .directory import Directory
from .outgoing import Outgoing
from .repository import Referral
from .routing import place, plan_referrals
from .status import FINAL, PENDING, SETTLED, UnknownReferral, respond, to_withdraw

log = structlog.get_logger("referral.handlers")

RESPONSE_TYPES = ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted")


class UnexpectedEvent(Poison, ValueError):
    """An event type that has no business on the topic it arrived on."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReferralHandlers:
    directory: Directory
    topics: Topics
    clock: Callable[[], datetime] = field(default=utc_now)

    # -- intake.returnees.v1

    async def on_returnee_event(self, connection: Connection, envelope: Envelope) -> None:
        await self.on_returnee_events(connection, [envelope])

    async def on_returnee_events(self, connection: Connection, envelopes: list[Envelope]) -> None:
        events = [(envelope, _returnee_event(envelope)) for envelope in envelopes]
        book = CaseBook(connection)
        await book.load_cases(e.case_id for _, e in events if e is not None)
        # lock the places this batch is likely to fill in one go (others are locked when needed)
        await book.loads({c for _, e in events if e is not None for c in _needs(book, e)})
        for envelope, event in events:
            now = self.clock()
            with structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id)):
                if isinstance(event, CaseFacts):
                    await self._case_facts(book, envelope, event, now)
                elif isinstance(event, ConsentChanged):
                    await self._consent_changed(book, envelope, event, now)
                elif isinstance(event, CaseClosed):
                    self._case_closed(book, envelope, event, now)
                else:
                    # ReintegrationPlanApproved is for grants; types added later are not ours either
                    log.info("event not for referral; recorded and skipped", event_type=envelope.type)
        await book.flush()

    async def _case_facts(self, book: CaseBook, envelope: Envelope, facts: CaseFacts, now: datetime) -> None:
        case = book.case(facts.case_id)
        if case is not None and case.closed:
            log.info("case is closed; facts ignored", case_id=str(facts.case_id))
            return
        book.save_case(facts)
        # a registration without needs only tells us the case exists; an assessment is the full list
        if envelope.type == ReturneeRegistered.event_type and not facts.needs:
            return
        await self._reconcile(book, envelope, facts, now)

    async def _consent_changed(
        self, book: CaseBook, envelope: Envelope, event: ConsentChanged, now: datetime
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
        await self._reconcile(book, envelope, facts, now)

    def _case_closed(self, book: CaseBook, envelope: Envelope, event: CaseClosed, now: datetime) -> None:
        if book.case(event.case_id) is None:
            log.info("closure of a case referral never saw; skipped", case_id=str(event.case_id))
            return
        book.close_case(event.case_id)
        out = Outgoing(book, self.topics, now, envelope)
        for referral in book.referrals_of(event.case_id):
            if referral.status not in FINAL:
                out.change(referral, ReferralStatus.WITHDRAWN, "case_closed")

    async def _reconcile(self, book: CaseBook, envelope: Envelope, facts: CaseFacts, now: datetime) -> None:
        """Bring the case's referrals in line with its facts: end those no longer needed or
        consented, place every needed category that has no live referral."""
        out = Outgoing(book, self.topics, now, envelope)
        referrals = book.referrals_of(facts.case_id)
        ending = {
            w.referral_id: w.reason
            for w in to_withdraw([r.state for r in referrals], needs=facts.needs, consent=facts.consent)
        }
        standing: list[Referral] = []
        for referral in referrals:
            if referral.referral_id in ending:
                out.change(referral, ReferralStatus.WITHDRAWN, ending[referral.referral_id])
            else:
                standing.append(referral)
        settled = {r.category for r in standing if r.status in SETTLED}
        pending = {r.category: r for r in standing if r.status in PENDING}
        loads = await book.loads([c for c in facts.needs if c not in settled])
        declined = book.declined_partners(facts.case_id)
        for placement in plan_referrals(
            facts, self.directory, loads, now, settled=settled, excluded=declined
        ):
            waiting = pending.get(placement.category)
            if waiting is None:
                out.create(facts.case_id, placement, envelope.correlation_id)
            elif waiting.status is not placement.status:
                out.place(waiting, placement)

    # -- referral.responses.v1

    async def on_partner_response(self, connection: Connection, envelope: Envelope) -> None:
        await self.on_partner_responses(connection, [envelope])

    async def on_partner_responses(self, connection: Connection, envelopes: list[Envelope]) -> None:
        responses = [(envelope, _partner_response(envelope)) for envelope in envelopes]
        book = CaseBook(connection)
        await book.load_referrals(response.referral_id for _, response in responses)
        for envelope, response in responses:
            with structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id)):
                await self._respond(book, envelope, response, self.clock())
        await book.flush()

    async def _respond(
        self, book: CaseBook, envelope: Envelope, response: PartnerResponse, now: datetime
    ) -> None:
        referral = book.referral(response.referral_id)
        case = book.case(referral.case_id) if referral is not None else None
        if case is None or referral is None:
            raise UnknownReferral(f"no referral {response.referral_id} is known")
        target = respond(referral.state, response)
        reason = (
            response.reason
            if isinstance(response, ReferralDeclined)
            else response.outcome
            if isinstance(response, ReferralCompleted)
            else None
        )
        out = Outgoing(book, self.topics, now, envelope)
        out.change(referral, target, reason)
        if target is ReferralStatus.DECLINED:
            # route to the next eligible partner, never back to one that declined this case
            excluded = book.declined_partners(referral.case_id).get(referral.category, set())
            loads = await book.loads([referral.category])
            placement = place(case.facts, referral.category, self.directory, loads, now, excluded)
            out.create(referral.case_id, placement, referral.correlation_id, referral.referral_id)


def _returnee_event(envelope: Envelope) -> CaseFacts | ConsentChanged | CaseClosed | None:
    """The typed event, for the types referral acts on (MalformedEvent if its data is wrong)."""
    if envelope.type in (NeedsAssessed.event_type, ReturneeRegistered.event_type):
        facts = envelope.event_as(CaseFacts)
        # only the routing facts are kept (a registration carries more than referral needs); they
        # were validated just now, so they are taken over as they are
        return CaseFacts.model_construct(**{name: getattr(facts, name) for name in CaseFacts.model_fields})
    if envelope.type == ConsentChanged.event_type:
        return envelope.event_as(ConsentChanged)
    if envelope.type == CaseClosed.event_type:
        return envelope.event_as(CaseClosed)
    return None


def _needs(book: CaseBook, event: CaseFacts | ConsentChanged | CaseClosed) -> Iterable[Category]:
    if isinstance(event, CaseFacts):
        return event.needs
    case = book.case(event.case_id)
    return case.facts.needs if isinstance(event, ConsentChanged) and case is not None else ()


def _partner_response(envelope: Envelope) -> PartnerResponse:
    if envelope.type not in RESPONSE_TYPES:
        raise UnexpectedEvent(
            f"{envelope.type} does not belong on referral.responses.v1 (expected one of "
            + ", ".join(RESPONSE_TYPES)
            + ")"
        )
    return envelope.event_as(PartnerResponse)
