"""The referral service SIGKILLed in the middle of a burst of assessments, then restarted: no
referral lost, none doubled; the relay may re-publish an event (same event id), which partners'
inboxes drop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from shared.events import ReferralStatus

from .accounting import account
from .books import RETURNEES, Expected
from .caseload import Caseload, Producer, directory_in
from .conftest import ROUNDS, scaled
from .processes import Corner, ServiceProcess

pytestmark = pytest.mark.integration

EVENTS = scaled(2000)


async def published_referrals(connection: asyncpg.Connection, corner: Corner) -> int:
    """ReferralIssued (and withdrawals) the relay has published to partner topics so far."""
    return int(
        await connection.fetchval(
            f'SELECT count(*) FROM "{corner.schema("referral")}".outbox'
            " WHERE sent_at IS NOT NULL AND topic LIKE $1",
            f"{corner.prefix}referrals.%",
        )
    )


async def test_referral_killed_mid_burst_loses_and_doubles_nothing(
    corner: Corner,
    services: Callable[[str], ServiceProcess],
    fault_config: Path,
    say: Callable[[str], None],
) -> None:
    began = time.monotonic()
    referral = services("referral")
    referral.start()
    await referral.ready()
    caseload = Caseload(directory_in(fault_config), seed=6_2000)
    assessments = caseload.assessments(EVENTS)
    issued = sum(s is ReferralStatus.ISSUED for a in assessments for s in a.expected.values())
    async with Producer(corner.bootstrap) as producer:
        await asyncio.gather(
            *await producer.send(corner.prefix + RETURNEES, [a.envelope for a in assessments])
        )

    kills = []
    connection = await asyncpg.connect(corner.database_url)
    try:
        for round_ in range(1, ROUNDS + 1):
            # some, not all, referrals out: the kill lands mid-flow, wherever the service is
            threshold = issued * round_ // (ROUNDS + 1)
            deadline = time.monotonic() + 60
            while (out := await published_referrals(connection, corner)) < threshold:
                assert time.monotonic() < deadline, f"only {out} of {threshold} referrals out within 60s"
                assert referral.alive(), referral.tail()
                await asyncio.sleep(0.01)
            referral.kill()
            kills.append(out)
            assert out < issued, "the burst was over before the kill: nothing was tested"
            referral.start()
            await referral.ready()
    finally:
        await connection.close()

    books = await account(
        corner,
        ["referral"],
        Expected(caseload.directory, sent={RETURNEES: {a.envelope.event_id for a in assessments}}),
        timeout=120,
    )
    assert books.referrals[ReferralStatus.ISSUED] == issued
    assert books.events[RETURNEES] == EVENTS
    redelivered = referral.redeliveries_ignored()
    say(
        f"referral SIGKILLed {len(kills)}x at {kills} of {issued} referrals out, {EVENTS} assessments: "
        f"{sum(books.copies.values())} same-event-id copies on the topics, {redelivered} redeliveries "
        f"dropped by the inbox; "
        f"{books.line()} [{time.monotonic() - began:.1f}s]"
    )
