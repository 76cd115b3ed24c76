"""The supervisor's queue of escalated referrals, read from what intake's timeline keeps of
referral's reports: a referral stands escalated while the newest report of its case and category is
its escalation, a hold (marked held) or a release; an answer, re-routing or withdrawal takes it off;
closed cases and other programmes' (or offices') cases are never listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.intake.core.timeline import describe
from services.intake.store.queue import escalated_referrals
from shared.events.referral import ReferralEscalated, ReferralStatusChanged
from shared.identity.model import CaseLimit, Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family

pytestmark = pytest.mark.integration
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def registered(intake: IntakeUnderTest, **overrides: Any) -> UUID:
    response = await intake.client.post(
        "/v1/cases", json=family(**overrides), headers=intake.auth(Role.CASEWORKER)
    )
    assert response.status_code == 201, response.text
    return UUID(response.json()["id"])


async def reported(intake: IntakeUnderTest, case_id: UUID, *lines: tuple[str, str]) -> None:
    """Referral's reports about `case_id` as the timeline keeps them: (type, summary), an hour apart."""
    for hour, (kind, summary) in enumerate(lines):
        await intake.pool.execute(
            "INSERT INTO timeline_events (event_id, case_id, occurred_at, source, topic, type, summary)"
            " VALUES ($1, $2, $3, 'referral', 'referral.status.v1', $4, $5)",
            uuid4(),
            case_id,
            START + timedelta(hours=hour),
            kind,
            summary,
        )


def line(event: Any) -> tuple[str, str]:
    """A report as intake's consumer keeps it: its type and the line core/timeline.describe writes."""
    return event.event_type, describe(event)


REFERRAL = uuid4()


def status(status: str, previous: str | None, category: str = "housing") -> tuple[str, str]:
    return line(
        ReferralStatusChanged(
            referral_id=REFERRAL,
            case_id=uuid4(),
            partner_id="tetovo-housing",
            category=category,
            status=status,
            previous_status=previous,
        )
    )


ESCALATED = line(
    ReferralEscalated(
        referral_id=REFERRAL,
        case_id=uuid4(),
        partner_id="tetovo-housing",
        category="housing",
        deadline=START - timedelta(hours=1),
    )
)
STATUS_ESCALATED = status("escalated", "issued")
ACCEPTED = status("accepted", "escalated")
MEDICAL_ISSUED = status("issued", None, category="medical")
# holds and releases (issue 15, point 1: ReferralHeld, ReferralReleased) as their branch describes them
HELD = ("ReferralHeld", "Referral for housing held by the caseworker: not re-routed automatically")
RELEASED = (
    "ReferralReleased",
    "Referral for housing released: re-routed automatically after its second deadline",
)


async def test_what_stands_escalated(intake: IntakeUnderTest) -> None:
    waiting = await registered(intake)
    held = await registered(intake)
    released = await registered(intake)
    answered = await registered(intake)
    other_category_later = await registered(intake)
    closed = await registered(intake)
    await reported(intake, waiting, STATUS_ESCALATED, ESCALATED)
    await reported(intake, held, ESCALATED, HELD)
    await reported(intake, released, ESCALATED, HELD, RELEASED)
    await reported(intake, answered, ESCALATED, ACCEPTED)
    await reported(intake, other_category_later, ESCALATED, MEDICAL_ISSUED)
    await reported(intake, closed, ESCALATED)
    closing = await intake.client.post(
        f"/v1/cases/{closed}/close", json={"reason": "withdrew"}, headers=intake.auth(Role.CASEWORKER)
    )
    assert closing.status_code == 200, closing.text

    mine = [waiting, held, released, answered, other_category_later, closed]
    found = [
        e
        for e in await escalated_referrals(intake.pool, programmes=None, case_limit=CaseLimit(), limit=500)
        if e.case_id in mine
    ]
    assert {(e.case_id, e.category, e.held) for e in found} == {
        (waiting, "housing", False),
        (held, "housing", True),
        (released, "housing", False),
        (other_category_later, "housing", False),
    }


async def test_the_queue_keeps_to_the_readers_programmes_and_office(intake: IntakeUnderTest) -> None:
    case_id = await registered(intake)
    await reported(intake, case_id, ESCALATED)
    everyone = await escalated_referrals(intake.pool, programmes=None, case_limit=CaseLimit(), limit=500)
    assert case_id in {e.case_id for e in everyone}
    for programmes, limit in [
        (["NL-AVRR"], CaseLimit()),  # another programme's supervisor
        ([], CaseLimit()),  # no programme: nothing
        (None, CaseLimit(office="bitola")),  # another office's
        (None, CaseLimit(matches_nothing=True)),  # limited to an office without one
    ]:
        found = await escalated_referrals(intake.pool, programmes=programmes, case_limit=limit, limit=500)
        assert case_id not in {e.case_id for e in found}, (programmes, limit)
