"""The Kafka subscriptions of grants: intake's events (`intake.returnees.v1`) and referral's status
(`referral.status.v1`), each handed to a use case inside `apply_once`'s transaction, so the inbox
row, the grant's rows, the ledger postings and the outbox commit together.

ReintegrationPlanApproved opens a grant, ReintegrationPlanAmended adjusts it (use_cases/amending.py),
CaseClosed closes it, PersonalDataErased drops the free
text grants holds about the case, MonitoringVisitRecorded and a completed referral's
ReferralStatusChanged are outcomes that make installments due (or, re-migrated, cancel them);
every other type on a topic is recorded in the inbox (so it is not re-read) and otherwise ignored.
Among those, deliberately: CaseReopened (issue 15). A grant the closure closed stays closed — its
cancelled installments are not revived and its released budget is not taken back — since the
budget may already fund another case; the reopened case needs a new approved plan, which opens a
new grant (a closed grant is not an active one, so nothing stands in its way). HouseholdChanged
does not resize a grant either: an amended plan does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from shared.db import Connection
from shared.events.envelope import Envelope
from shared.events.intake import (
    CaseClosed,
    MonitoringVisitRecorded,
    PersonalDataErased,
    ReintegrationPlanAmended,
    ReintegrationPlanApproved,
)
from shared.events.referral import ReferralStatusChanged
from shared.inbox import apply_once
from shared.kafka.subscriptions import subscriber_options

from .use_cases.amending import amend_grant
from .use_cases.closing import close_grants_of_case
from .use_cases.context import GrantsContext
from .use_cases.erasure import forget_personal_data
from .use_cases.opening import grant_for_approved_plan
from .use_cases.outcomes import referral_status_changed, visit_recorded

CONSUMER = "grants.returnees"
STATUS_CONSUMER = "grants.referral-status"

UseCase = Callable[[Connection, GrantsContext, Envelope], Awaitable[None]]
USE_CASES: dict[str, UseCase] = {
    ReintegrationPlanApproved.event_type: grant_for_approved_plan,
    ReintegrationPlanAmended.event_type: amend_grant,
    CaseClosed.event_type: close_grants_of_case,
    PersonalDataErased.event_type: forget_personal_data,
    MonitoringVisitRecorded.event_type: visit_recorded,
}
STATUS_USE_CASES: dict[str, UseCase] = {ReferralStatusChanged.event_type: referral_status_changed}


def returnee_event_use_case(
    context: GrantsContext, use_cases: dict[str, UseCase] = USE_CASES
) -> Callable[[Connection, Envelope], Awaitable[None]]:
    """What `apply_once` applies for one event of intake.returnees.v1 (or, given STATUS_USE_CASES,
    of referral.status.v1): its use case, if grants has one."""

    async def apply(connection: Connection, envelope: Envelope) -> None:
        use_case = use_cases.get(envelope.type)
        if use_case is not None:
            await use_case(connection, context, envelope)

    return apply


def subscribe(broker: KafkaBroker, context: GrantsContext) -> None:
    topic = context.topics.returnees.name
    apply = returnee_event_use_case(context)

    # the group carries the topic prefix, so deployments (and tests) sharing a cluster never share a group
    @broker.subscriber(topic, **subscriber_options(context.topics.prefix + CONSUMER))  # type: ignore[untyped-decorator]
    async def on_returnee_event(body: bytes) -> None:
        await apply_once(context.pool, CONSUMER, topic, body, apply)

    status_topic = context.topics.referral_status.name
    apply_status = returnee_event_use_case(context, STATUS_USE_CASES)

    async def on_referral_status(body: bytes) -> None:
        await apply_once(context.pool, STATUS_CONSUMER, status_topic, body, apply_status)

    # registered by call, not as a decorator: the decorator's type is opaque to mypy
    broker.subscriber(status_topic, **subscriber_options(context.topics.prefix + STATUS_CONSUMER))(
        on_referral_status
    )
