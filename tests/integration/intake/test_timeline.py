"""The case timeline: what referral and grants publish about a case shows on it once, in time
order beside the case's own changes; a message that cannot be used goes to the DLQ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.events import Envelope, new_envelope
from shared.events.grants import GrantOpened, InstallmentDisbursed, ScheduledInstallment
from shared.events.referral import ReferralStatusChanged
from shared.identity.model import Role
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX
from shared.money import Money
from tests.integration.intake.conftest import IntakeUnderTest
from tests.integration.intake.helpers import family
from tests.support import eventually, headers_of, publish, read_topic

pytestmark = pytest.mark.integration


async def registered_case(intake: IntakeUnderTest) -> str:
    response = await intake.client.post("/v1/cases", json=family(), headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 201
    return str(response.json()["id"])


def status_changed(case_id: str, status: str = "accepted", **options: Any) -> Envelope:
    event = ReferralStatusChanged(
        referral_id=uuid4(),
        case_id=UUID(case_id),
        partner_id="skopje-housing",
        category="housing",
        status=status,
        previous_status="issued",
    )
    return new_envelope(event, key=case_id, producer="referral", **options)


async def timeline(
    intake: IntakeUnderTest, case_id: str, role: Role = Role.CASEWORKER
) -> list[dict[str, Any]]:
    response = await intake.client.get(f"/v1/cases/{case_id}/timeline", headers=intake.auth(role))
    assert response.status_code == 200, response.text
    return list(response.json())


async def shows(intake: IntakeUnderTest, case_id: str, event: Envelope) -> bool:
    return any(e["event_id"] == str(event.event_id) for e in await timeline(intake, case_id))


async def dead_letters(intake: IntakeUnderTest) -> list[Any]:
    return await read_topic(intake.settings.kafka_bootstrap_servers, intake.topics.referral_status.dlq.name)


async def test_a_referral_status_change_shows_on_the_case_timeline(intake: IntakeUnderTest) -> None:
    case_id = await registered_case(intake)
    accepted = status_changed(case_id)

    await publish(
        intake.settings.kafka_bootstrap_servers, intake.topics.referral_status.name, [accepted.to_bytes()]
    )

    await eventually(lambda: shows(intake, case_id, accepted), what="the referral status on the timeline")
    entries = await timeline(intake, case_id)
    assert [(e["source"], e["type"]) for e in entries] == [
        ("intake", "Registered"),
        ("referral", "ReferralStatusChanged"),
    ]
    assert entries[1]["summary"] == "Referral for housing with skopje-housing: accepted (was issued)"
    assert entries[0]["recorded_by"] == str(intake.users[Role.CASEWORKER].id)
    # an auditor learns that a partner holds it, not which (a safe house's id would tell more)
    audited = await timeline(intake, case_id, Role.AUDITOR)
    assert [e["summary"] for e in audited][1] == "Referral for housing with a partner: accepted"


async def test_a_malformed_message_is_dead_lettered_and_the_next_one_is_still_processed(
    intake: IntakeUnderTest,
) -> None:
    case_id = await registered_case(intake)
    poison = b'{"type": "ReferralStatusChanged", "not": "an envelope"}'
    good = status_changed(case_id, "declined")

    await publish(
        intake.settings.kafka_bootstrap_servers,
        intake.topics.referral_status.name,
        [poison, good.to_bytes()],
        key=case_id.encode(),
    )

    await eventually(lambda: shows(intake, case_id, good), what="the message after the poison one")
    dead = [d for d in await dead_letters(intake) if d.value == poison]
    assert len(dead) == 1
    headers = headers_of(dead[0])
    assert headers[f"{DLQ_HEADER_PREFIX}error-type"] == "MalformedEvent"
    assert headers[f"{DLQ_HEADER_PREFIX}source-topic"] == intake.topics.referral_status.name


async def test_the_same_event_delivered_twice_shows_once(intake: IntakeUnderTest) -> None:
    case_id = await registered_case(intake)
    event, marker = status_changed(case_id, "accepted"), status_changed(case_id, "completed")

    await publish(
        intake.settings.kafka_bootstrap_servers,
        intake.topics.referral_status.name,
        [event.to_bytes(), event.to_bytes(), marker.to_bytes()],
        key=case_id.encode(),
    )

    await eventually(lambda: shows(intake, case_id, marker), what="the marker after the duplicate")
    ids = [e["event_id"] for e in await timeline(intake, case_id)]
    assert ids.count(str(event.event_id)) == 1
    assert not [d for d in await dead_letters(intake) if d.value == event.to_bytes()]


async def test_an_event_about_a_case_intake_never_registered_is_dead_lettered(
    intake: IntakeUnderTest,
) -> None:
    stranger = status_changed(str(uuid4()))
    await publish(
        intake.settings.kafka_bootstrap_servers, intake.topics.referral_status.name, [stranger.to_bytes()]
    )

    async def dead_lettered() -> list[Any]:
        return [d for d in await dead_letters(intake) if d.value == stranger.to_bytes()]

    dead = await eventually(dead_lettered, what="the event about an unknown case in the DLQ")
    assert headers_of(dead[0])[f"{DLQ_HEADER_PREFIX}error-type"] == "UnknownCase"


async def test_grant_events_join_the_timeline_in_the_order_they_happened(intake: IntakeUnderTest) -> None:
    case_id = await registered_case(intake)
    grant_id, installment_id = uuid4(), uuid4()
    eur = Money(amount=75_000, currency="EUR")
    opened_at = datetime.now(UTC) + timedelta(seconds=5)
    opened = new_envelope(
        GrantOpened(
            grant_id=grant_id,
            case_id=UUID(case_id),
            programme_id="DE-STARTHILFEPLUS",
            total=Money(amount=150_000, currency="EUR"),
            installments=[
                ScheduledInstallment(
                    installment_id=installment_id, sequence=1, amount=eur, milestone="on_approval"
                )
            ],
        ),
        key=case_id,
        producer="grants",
        occurred_at=opened_at,
    )
    disbursed = new_envelope(
        InstallmentDisbursed(
            grant_id=grant_id,
            case_id=UUID(case_id),
            installment_id=installment_id,
            amount=eur,
            method="bank_transfer",
            disbursed_by="finance-2",
        ),
        key=case_id,
        producer="grants",
        occurred_at=opened_at + timedelta(minutes=1),
    )

    # published in the wrong order: the timeline orders by when things happened
    await publish(
        intake.settings.kafka_bootstrap_servers,
        intake.topics.grants_installments.name,
        [disbursed.to_bytes(), opened.to_bytes()],
        key=case_id.encode(),
    )

    await eventually(lambda: shows(intake, case_id, opened), what="the grant events on the timeline")
    entries = await timeline(intake, case_id)
    assert [(e["source"], e["summary"]) for e in entries] == [
        ("intake", "Registered: a household of 3, programme DE-STARTHILFEPLUS, municipality skopje"),
        ("grants", "Grant opened: EUR 1500.00 in 1 installments (DE-STARTHILFEPLUS)"),
        ("grants", "Installment disbursed: EUR 750.00 by bank_transfer"),
    ]


async def test_the_timeline_of_a_case_that_does_not_exist_is_404(intake: IntakeUnderTest) -> None:
    response = await intake.client.get(f"/v1/cases/{uuid4()}/timeline", headers=intake.auth(Role.CASEWORKER))
    assert response.status_code == 404
