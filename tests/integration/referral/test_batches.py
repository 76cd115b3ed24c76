"""Referral's consumers apply a batch of events in one transaction (through one CaseBook), and the
rules still hold per event: each case's events apply in order, even within one batch; a bad event
in the middle is isolated and reported for the DLQ while the others commit; a redelivered batch
changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from uuid import UUID, uuid4

import pytest

from services.referral.app import MIGRATIONS
from services.referral.consumers import RESPONSES_CONSUMER, RETURNEES_CONSUMER
from services.referral.core.directory import Directory, Partner, Service
from services.referral.core.errors import UnknownReferral
from services.referral.core.referral import Referral
from services.referral.store import places
from services.referral.store import referrals as repo
from services.referral.use_cases.context import ReferralContext
from services.referral.use_cases.responses import AnswerChannel, AnswerNotes, apply_partner_responses
from services.referral.use_cases.returnees import apply_returnee_events
from shared.db import Pool, create_pool, migrate, transaction
from shared.events import Category, MalformedEvent, new_envelope
from shared.events.intake import CaseClosed
from shared.events.referral import ReferralAccepted, ReferralDeclined
from shared.identity.model import CaseLimit
from shared.inbox import ApplyMany, apply_batch
from shared.topics import Topics
from tests.conftest import Isolated

from .checks import places_in_use
from .events import consent_changed, needs_assessed

pytestmark = pytest.mark.integration


async def every_referral(pool: Pool) -> list[Referral]:
    return await repo.list_referrals(pool, programmes=None, case_limit=CaseLimit())


H, J = Category.HOUSING, Category.EMPLOYMENT
DIRECTORY = Directory(
    partners=(
        Partner(
            id="homes-a",
            name="Homes A",
            municipalities=("kumanovo",),
            categories={H: Service(capacity=10, deadline_hours=48)},
        ),
        Partner(
            id="homes-b",
            name="Homes B",
            municipalities=("kumanovo",),
            categories={H: Service(capacity=10, deadline_hours=48)},
        ),
        Partner(
            id="jobs",
            name="Jobs",
            municipalities=("kumanovo",),
            categories={J: Service(capacity=10, deadline_hours=48)},
        ),
    )
)


@pytest.fixture
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.settings.database_url, isolated.schema, [MIGRATIONS])
    pool = await create_pool(isolated.settings.database_url, isolated.schema, min_size=1, max_size=2)
    async with transaction(pool) as connection:
        await places.sync_partner_places(connection, DIRECTORY)
    yield pool
    await pool.close()


@dataclass(frozen=True)
class Handlers:
    """The two batch use cases, bound to one context, as the consumers hand them to apply_batch."""

    on_returnee_events: ApplyMany
    on_partner_responses: ApplyMany


def handlers(isolated: Isolated) -> Handlers:
    context = ReferralContext(DIRECTORY, Topics(isolated.topic_prefix))
    # answers from several partners in one batch: the (deprecated) shared topic, where each names its own
    shared = AnswerChannel.shared_topic(context.topics.referral_responses.name)
    return Handlers(
        partial(apply_returnee_events, context),
        partial(apply_partner_responses, context, shared, AnswerNotes()),
    )


async def places_match_the_referrals(pool: Pool) -> None:
    """The places in use kept in partner_places are the open referrals, counted."""
    kept = {
        (r["partner_id"], Category(r["category"])): r["in_use"]
        for r in await pool.fetch("SELECT partner_id, category, in_use FROM partner_places")
        if r["in_use"]
    }
    assert kept == await places_in_use(pool)


async def outbox_of(pool: Pool, case: str) -> list[tuple[str, str, str | None]]:
    """(event type, topic without the prefix, status) of a case's outbox rows, in publishing order."""
    rows = await pool.fetch("SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY id", case)
    out = []
    for row in rows:
        envelope = json.loads(bytes(row["payload"]))
        out.append((envelope["type"], row["topic"].split(".", 1)[1], envelope["data"].get("status")))
    return out


async def test_a_batch_applies_each_case_in_order_and_isolates_a_bad_event(
    isolated: Isolated, pool: Pool
) -> None:
    first = needs_assessed(municipality="kumanovo", needs=[H, J])
    case = UUID(first.key)
    broken = needs_assessed(municipality="kumanovo", needs=[H])
    broken = broken.model_copy(update={"data": {**broken.data, "household": "three people"}})
    withdrawn = consent_changed(case, {H: False, J: True}, withdrawn=[H])
    other = needs_assessed(municipality="kumanovo", needs=[H])
    batch = [e.to_bytes() for e in (first, broken, withdrawn, other)]

    outcome = await apply_batch(
        pool, RETURNEES_CONSUMER, "returnees", batch, handlers(isolated).on_returnee_events
    )

    assert list(outcome.failures) == [1]
    assert isinstance(outcome.failures[1], MalformedEvent)
    assert outcome.applied == 3
    # the case's three changes, in the order its events came, within the one transaction
    assert await outbox_of(pool, first.key) == [
        ("ReferralIssued", "referrals.homes-a.v1", None),
        ("ReferralStatusChanged", "referral.status.v1", "issued"),
        ("ReferralIssued", "referrals.jobs.v1", None),
        ("ReferralStatusChanged", "referral.status.v1", "issued"),
        ("ReferralWithdrawn", "referrals.homes-a.v1", None),
        ("ReferralStatusChanged", "referral.status.v1", "withdrawn"),
        ("ReferralStatusChanged", "referral.status.v1", "needs_consent"),  # still needed, not shared
        ("ErasureRequested", "referrals.homes-a.v1", None),  # consent withdrawn: delete what you hold
    ]
    # places counted in memory across the batch: the next housing case goes to the partner
    # with fewer places in use (homes-a's one was freed by the withdrawal: a tie, by id)
    assert [t for t, _, _ in await outbox_of(pool, other.key)] == ["ReferralIssued", "ReferralStatusChanged"]
    assert await places_in_use(pool) == {("homes-a", H): 1, ("jobs", J): 1}
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", broken.event_id) == 0
    await places_match_the_referrals(pool)

    again = await apply_batch(
        pool, RETURNEES_CONSUMER, "returnees", batch, handlers(isolated).on_returnee_events
    )
    assert (again.applied, again.redelivered) == (0, 3)
    assert list(again.failures) == [1]  # still bad: dead-lettered again, never silently dropped
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 10


async def test_a_partner_answer_for_an_unknown_referral_is_isolated_within_its_batch(
    isolated: Isolated, pool: Pool
) -> None:
    jobs = needs_assessed(municipality="kumanovo", needs=[J])
    homes = needs_assessed(municipality="kumanovo", needs=[H])
    consumer = handlers(isolated)
    await apply_batch(
        pool,
        RETURNEES_CONSUMER,
        "returnees",
        [jobs.to_bytes(), homes.to_bytes()],
        consumer.on_returnee_events,
    )
    referrals = {r.case_id: r for r in await every_referral(pool)}
    job, home = referrals[UUID(jobs.key)], referrals[UUID(homes.key)]

    accepted = ReferralAccepted(referral_id=job.referral_id, case_id=job.case_id, partner_id="jobs")
    stranger = ReferralAccepted(referral_id=uuid4(), case_id=job.case_id, partner_id="jobs")
    declined = ReferralDeclined(
        referral_id=home.referral_id, case_id=home.case_id, partner_id=home.partner_id or "", reason="full"
    )
    answers = [
        new_envelope(event, key=event.case_id, producer=event.partner_id)
        for event in (accepted, stranger, declined)
    ]
    outcome = await apply_batch(
        pool, RESPONSES_CONSUMER, "responses", [a.to_bytes() for a in answers], consumer.on_partner_responses
    )

    assert list(outcome.failures) == [1]
    assert isinstance(outcome.failures[1], UnknownReferral)
    after = {(r.case_id, r.partner_id): r.status.value for r in await every_referral(pool)}
    other_homes = "homes-b" if home.partner_id == "homes-a" else "homes-a"
    assert after == {
        (job.case_id, "jobs"): "accepted",
        (home.case_id, home.partner_id): "declined",
        (home.case_id, other_homes): "issued",  # re-routed in the same batch
    }
    await places_match_the_referrals(pool)

    # the case closes: every open referral is withdrawn, and frees its place
    closing = new_envelope(
        CaseClosed(case_id=home.case_id, reason="reintegrated", closed_by="caseworker"),
        key=home.case_id,
        producer="intake",
    )
    await apply_batch(
        pool, RETURNEES_CONSUMER, "returnees", [closing.to_bytes()], consumer.on_returnee_events
    )
    await places_match_the_referrals(pool)
    assert await places_in_use(pool) == {("jobs", J): 1}


async def test_start_up_counts_the_places_in_use_afresh(isolated: Isolated, pool: Pool) -> None:
    events = [needs_assessed(municipality="kumanovo", needs=[H, J]) for _ in range(3)]
    await apply_batch(
        pool,
        RETURNEES_CONSUMER,
        "returnees",
        [e.to_bytes() for e in events],
        handlers(isolated).on_returnee_events,
    )
    await pool.execute("UPDATE partner_places SET in_use = 99")  # drifted, or a partner back in the file

    async with transaction(pool) as connection:
        await places.sync_partner_places(connection, DIRECTORY)

    await places_match_the_referrals(pool)
    assert sum((await places.lock_places(pool, [H, J])).values()) == 6  # type: ignore[arg-type]
