"""What each consumed event does: parse → decide (routing, status: pure) → persist + outbox.

Each method runs inside `shared.inbox.apply_once`'s transaction, so the inbox row, the referral rows
and the outbox rows commit together or not at all. A rule break raises (RefusedTransition,
UnexpectedEvent, MalformedEvent): nothing commits and the message is dead-lettered with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from shared.db import Connection
from shared.events import Envelope, ReferralStatus
from shared.events.intake import CaseClosed, CaseFacts, ConsentChanged, NeedsAssessed, ReturneeRegistered
from shared.events.referral import PartnerResponse, ReferralCompleted, ReferralDeclined
from shared.topics import Topics

from . import repository as repo
from .directory import Directory
from .outgoing import Outgoing
from .repository import Referral
from .routing import place, plan_referrals
from .status import FINAL, PENDING, SETTLED, UnknownReferral, respond, to_withdraw

log = structlog.get_logger("referral.handlers")

RESPONSE_TYPES = ("ReferralAccepted", "ReferralDeclined", "ReferralCompleted")


class UnexpectedEvent(ValueError):
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
        if envelope.type in (NeedsAssessed.event_type, ReturneeRegistered.event_type):
            await self._case_facts(connection, envelope, envelope.event_as(CaseFacts))
        elif envelope.type == ConsentChanged.event_type:
            await self._consent_changed(connection, envelope, envelope.event_as(ConsentChanged))
        elif envelope.type == CaseClosed.event_type:
            await self._case_closed(connection, envelope, envelope.event_as(CaseClosed))
        else:
            # ReintegrationPlanApproved is for grants; types added later are not ours either
            log.info("event not for referral; recorded and skipped", event_type=envelope.type)

    async def _case_facts(self, connection: Connection, envelope: Envelope, facts: CaseFacts) -> None:
        case = await repo.case_for_update(connection, facts.case_id)
        if case is not None and case.closed:
            log.info("case is closed; facts ignored", case_id=str(facts.case_id))
            return
        facts = CaseFacts.model_validate(facts.model_dump(include=set(CaseFacts.model_fields)))
        await repo.save_case(connection, facts)
        # a registration without needs only tells us the case exists; an assessment is the full list
        if envelope.type == ReturneeRegistered.event_type and not facts.needs:
            return
        await self._reconcile(connection, envelope, facts)

    async def _consent_changed(
        self, connection: Connection, envelope: Envelope, event: ConsentChanged
    ) -> None:
        case = await repo.case_for_update(connection, event.case_id)
        if case is None or case.closed:
            # nothing is routed for a case we have no facts for; its assessment carries the consent
            log.info("consent change for an unknown or closed case; skipped", case_id=str(event.case_id))
            return
        consent = {**case.facts.consent, **event.consent}
        consent.update({c: True for c in event.granted})
        consent.update({c: False for c in event.withdrawn})
        facts = case.facts.model_copy(update={"consent": consent})
        await repo.save_case(connection, facts)
        await self._reconcile(connection, envelope, facts)

    async def _case_closed(self, connection: Connection, envelope: Envelope, event: CaseClosed) -> None:
        case = await repo.case_for_update(connection, event.case_id)
        if case is None:
            log.info("closure of a case referral never saw; skipped", case_id=str(event.case_id))
            return
        await repo.close_case(connection, event.case_id)
        out = Outgoing(connection, self.topics, self.clock(), envelope)
        for referral in await repo.referrals_of_case(connection, event.case_id):
            if referral.status not in FINAL:
                await out.change(referral, ReferralStatus.WITHDRAWN, "case_closed")

    async def _reconcile(self, connection: Connection, envelope: Envelope, facts: CaseFacts) -> None:
        """Bring the case's referrals in line with its facts: end those no longer needed or
        consented, place every needed category that has no live referral."""
        now = self.clock()
        out = Outgoing(connection, self.topics, now, envelope)
        referrals = await repo.referrals_of_case(connection, facts.case_id)
        ending = {
            w.referral_id: w.reason
            for w in to_withdraw([r.state for r in referrals], needs=facts.needs, consent=facts.consent)
        }
        standing: list[Referral] = []
        for referral in referrals:
            if referral.referral_id in ending:
                await out.change(referral, ReferralStatus.WITHDRAWN, ending[referral.referral_id])
            else:
                standing.append(referral)
        settled = {r.category for r in standing if r.status in SETTLED}
        pending = {r.category: r for r in standing if r.status in PENDING}
        loads = await repo.lock_places(connection, [c for c in facts.needs if c not in settled])
        declined = await repo.declined_partners(connection, facts.case_id)
        for placement in plan_referrals(
            facts, self.directory, loads, now, settled=settled, excluded=declined
        ):
            waiting = pending.get(placement.category)
            if waiting is None:
                await out.create(facts.case_id, placement, envelope.correlation_id)
            elif waiting.status is not placement.status:
                await out.place(waiting, placement)

    # -- referral.responses.v1

    async def on_partner_response(self, connection: Connection, envelope: Envelope) -> None:
        if envelope.type not in RESPONSE_TYPES:
            raise UnexpectedEvent(
                f"{envelope.type} does not belong on referral.responses.v1 (expected one of "
                + ", ".join(RESPONSE_TYPES)
                + ")"
            )
        response = envelope.event_as(PartnerResponse)
        # lock in the order every handler uses: the case, then its referrals, then places
        case_id = await connection.fetchval(
            "SELECT case_id FROM referrals WHERE referral_id = $1", response.referral_id
        )
        case = await repo.case_for_update(connection, case_id) if case_id else None
        referral = await repo.referral_for_update(connection, response.referral_id)
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
        now = self.clock()
        out = Outgoing(connection, self.topics, now, envelope)
        await out.change(referral, target, reason)
        if target is ReferralStatus.DECLINED:
            # route to the next eligible partner, never back to one that declined this case
            excluded = (await repo.declined_partners(connection, referral.case_id)).get(
                referral.category, set()
            )
            loads = await repo.lock_places(connection, [referral.category])
            placement = place(case.facts, referral.category, self.directory, loads, now, excluded)
            await out.create(referral.case_id, placement, referral.correlation_id, referral.referral_id)
