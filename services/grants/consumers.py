"""The Kafka subscription of grants: intake's events (`intake.returnees.v1`), each handed to a use
case inside `apply_once`'s transaction, so the inbox row, the grant's rows, the ledger postings and
the outbox commit together.

ReintegrationPlanApproved opens a grant, CaseClosed closes it, PersonalDataErased drops the free
text grants holds about the case; every other type on the topic is recorded in the inbox (so it is
not re-read) and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from shared.db import Connection
from shared.events.envelope import Envelope
from shared.events.intake import CaseClosed, PersonalDataErased, ReintegrationPlanApproved
from shared.inbox import apply_once
from shared.kafka.subscriptions import subscriber_options

from .use_cases.closing import close_grants_of_case
from .use_cases.context import GrantsContext
from .use_cases.erasure import forget_personal_data
from .use_cases.opening import grant_for_approved_plan

CONSUMER = "grants.returnees"

UseCase = Callable[[Connection, GrantsContext, Envelope], Awaitable[None]]
USE_CASES: dict[str, UseCase] = {
    ReintegrationPlanApproved.event_type: grant_for_approved_plan,
    CaseClosed.event_type: close_grants_of_case,
    PersonalDataErased.event_type: forget_personal_data,
}


def returnee_event_use_case(context: GrantsContext) -> Callable[[Connection, Envelope], Awaitable[None]]:
    """What `apply_once` applies for one event of intake.returnees.v1: its use case, if grants has one."""

    async def apply(connection: Connection, envelope: Envelope) -> None:
        use_case = USE_CASES.get(envelope.type)
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
