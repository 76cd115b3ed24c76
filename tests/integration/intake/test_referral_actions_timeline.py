"""What a caseworker did with a referral (issue 15, point 1) shows on the case's timeline in intake:
a withdrawal with its reason, a hold and its release (the hold only to those who may see
escalations)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from shared.events import new_envelope
from shared.events.referral import ReferralHeld, ReferralReleased, ReferralStatusChanged
from shared.identity.model import Role
from tests.integration.intake.conftest import IntakeUnderTest
from tests.support import eventually, publish

from .test_timeline import registered_case, shows, timeline

pytestmark = pytest.mark.integration


async def test_a_withdrawal_with_its_reason_and_a_hold_show_on_the_timeline(intake: IntakeUnderTest) -> None:
    case_id = await registered_case(intake)
    referral_id, case = uuid4(), UUID(case_id)
    events = [
        new_envelope(
            ReferralHeld(referral_id=referral_id, case_id=case, category="housing"),
            key=case_id,
            producer="referral",
        ),
        new_envelope(
            ReferralReleased(referral_id=referral_id, case_id=case, category="housing"),
            key=case_id,
            producer="referral",
        ),
        new_envelope(
            ReferralStatusChanged(
                referral_id=referral_id,
                case_id=case,
                partner_id="skopje-housing",
                category="housing",
                status="withdrawn",
                previous_status="escalated",
                reason="partner_unresponsive",
            ),
            key=case_id,
            producer="referral",
        ),
    ]
    await publish(
        intake.settings.kafka_bootstrap_servers,
        intake.topics.referral_status.name,
        [e.to_bytes() for e in events],
        key=case_id.encode(),
    )

    await eventually(lambda: shows(intake, case_id, events[-1]), what="the withdrawal on the timeline")
    summaries = [e["summary"] for e in await timeline(intake, case_id)][1:]
    assert summaries == [
        "Referral for housing held by the caseworker: not re-routed automatically",
        "Referral for housing released: re-routed automatically after its second deadline",
        "Referral for housing with skopje-housing: withdrawn (was escalated): partner_unresponsive",
    ]
    audited = [e["summary"] for e in await timeline(intake, case_id, Role.AUDITOR)][1:]
    assert audited == ["Referral for housing with a partner: withdrawn: partner_unresponsive"]
