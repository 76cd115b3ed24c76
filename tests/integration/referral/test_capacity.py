"""Capacity under concurrency: many cases routed at once never overfill a partner, because routing
counts places from the referrals table while holding a row lock on the partner's category."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from services.referral.app import MIGRATIONS
from services.referral.consumers import RETURNEES_CONSUMER
from services.referral.core.directory import Directory, Partner, Service
from services.referral.store.places import sync_partner_places
from services.referral.use_cases.context import ReferralContext
from services.referral.use_cases.returnees import apply_returnee_events
from shared.db import Connection, create_pool, migrate, transaction
from shared.events import Category, Envelope
from shared.inbox import apply_once
from shared.topics import Topics
from tests.conftest import Isolated

from .checks import places_in_use
from .events import needs_assessed

pytestmark = pytest.mark.integration

CAPACITY, CASES = 3, 12


async def test_concurrent_cases_never_take_more_places_than_a_partner_has(isolated: Isolated) -> None:
    settings = isolated.settings
    await migrate(settings.database_url, isolated.schema, [MIGRATIONS])
    pool = await create_pool(settings.database_url, isolated.schema, min_size=CASES, max_size=CASES)
    directory = Directory(
        partners=(
            Partner(
                id="only-homes",
                name="Only Homes",
                municipalities=("veles",),
                categories={Category.HOUSING: Service(capacity=CAPACITY, deadline_hours=48)},
            ),
        )
    )
    context = ReferralContext(directory, Topics(settings.topic_prefix))

    async def on_returnee_event(connection: Connection, envelope: Envelope) -> None:
        await apply_returnee_events(context, connection, [envelope])

    try:
        async with transaction(pool) as connection:
            await sync_partner_places(connection, directory)
        events = [needs_assessed(municipality="veles", needs=[Category.HOUSING]) for _ in range(CASES)]
        await asyncio.gather(
            *(
                apply_once(pool, RETURNEES_CONSUMER, "returnees", e.to_bytes(), on_returnee_event)
                for e in events
            )
        )
        rows = await pool.fetch("SELECT status, partner_id FROM referrals")
        assert Counter(r["status"] for r in rows) == {"issued": CAPACITY, "unplaced": CASES - CAPACITY}
        assert await places_in_use(pool) == {("only-homes", Category.HOUSING): CAPACITY}
    finally:
        await pool.close()
