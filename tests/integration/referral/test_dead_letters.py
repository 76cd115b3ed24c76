"""Bad input never disappears: malformed events and impossible moves go to the DLQ with the reason,
and the next good event is still processed."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.events import Category, new_envelope
from shared.events.referral import ReferralAccepted
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX

from .checks import dead_letters, published, statuses
from .conftest import RunningReferral
from .events import answer, needs_assessed

pytestmark = pytest.mark.integration

ERROR, ERROR_TYPE = f"{DLQ_HEADER_PREFIX}error", f"{DLQ_HEADER_PREFIX}error-type"


async def test_a_malformed_intake_event_is_dead_lettered_and_the_next_one_processed(
    referral: RunningReferral,
) -> None:
    good = needs_assessed(municipality="kumanovo", needs=[Category.HOUSING])
    broken = needs_assessed(municipality="kumanovo", needs=[Category.HOUSING], case_id=uuid4())
    wrong_data = broken.model_copy(
        update={"key": good.key, "data": {**broken.data, "household": "three people"}}
    )
    await referral.send_raw(referral.topics.returnees, b'{"event_id": "not an envelope', good.key)
    await referral.send(referral.topics.returnees, wrong_data)
    await referral.send(referral.topics.returnees, good)

    await published(referral, key=good.key, type="ReferralIssued", count=1)
    unparseable, invalid = await dead_letters(referral, "intake.returnees.v1", good.key, 2)
    assert unparseable.value == b'{"event_id": "not an envelope'
    assert unparseable.headers[ERROR_TYPE] == "MalformedEvent"
    assert unparseable.headers[f"{DLQ_HEADER_PREFIX}source-topic"] == referral.topics.returnees.name
    assert invalid.headers[ERROR_TYPE] == "MalformedEvent"
    assert "household" in invalid.headers[ERROR]
    assert len(referral.recorder.find(key=good.key, type="ReferralIssued")) == 1


async def test_impossible_moves_are_dead_lettered_with_the_reason_and_change_nothing(
    referral: RunningReferral,
) -> None:
    event = needs_assessed(municipality="kumanovo", needs=[Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    responses = referral.topics.referral_responses

    await referral.send(responses, answer(issued, "complete"))  # completing what was never accepted
    await referral.send(responses, answer(issued, "accept", partner_id="kumanovo-homes"))  # not theirs
    stranger = ReferralAccepted(referral_id=uuid4(), case_id=event.key, partner_id="kumanovo-jobs")
    await referral.send(responses, new_envelope(stranger, key=event.key, producer="kumanovo-jobs"))
    await referral.send(responses, event)  # an intake event on the partners' topic
    await referral.send(responses, answer(issued, "accept"))  # the good one, after all of them

    await published(referral, key=event.key, type="ReferralStatusChanged", count=2)
    assert statuses(referral, event.key) == [("employment", "issued"), ("employment", "accepted")]
    dead = await dead_letters(referral, "referral.responses.v1", event.key, 4)
    reasons = [(d.headers[ERROR_TYPE], d.headers[ERROR]) for d in dead]
    referral_id = issued.data["referral_id"]
    assert reasons == [
        ("RefusedTransition", f"referral {referral_id} is issued: it cannot become completed"),
        (
            "WrongPartner",
            f"referral {referral_id} was not sent to partner 'kumanovo-homes'"
            " (it was sent to 'kumanovo-jobs')",
        ),
        ("UnknownReferral", f"no referral {stranger.referral_id} is known"),
        (
            "UnexpectedEvent",
            "NeedsAssessed does not belong on referral.responses.v1 (expected one of ReferralAccepted, "
            "ReferralDeclined, ReferralCompleted)",
        ),
    ]
    # the original headers travel along, so an operator sees what it was without parsing it
    assert [d.headers["event_type"] for d in dead] == [
        "ReferralCompleted",
        "ReferralAccepted",
        "ReferralAccepted",
        "NeedsAssessed",
    ]

    # completing a declined referral is refused too
    other = needs_assessed(municipality="kumanovo", needs=[Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, other)
    [offered] = await published(referral, key=other.key, type="ReferralIssued", count=1)
    await referral.send(responses, answer(offered, "decline"))
    await referral.send(responses, answer(offered, "complete"))
    [refused] = await dead_letters(referral, "referral.responses.v1", other.key, 1)
    assert (
        refused.headers[ERROR]
        == f"referral {offered.data['referral_id']} is declined: it cannot become completed"
    )
