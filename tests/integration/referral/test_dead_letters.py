"""Bad input never disappears: malformed events and impossible moves go to the DLQ with the reason,
and the next good event is still processed."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from shared.events import Category, new_envelope
from shared.events.referral import ReferralAccepted
from shared.kafka.dead_letters import DLQ_HEADER_PREFIX
from tests.support import eventually

from .checks import dead_letters, dead_letters_on, metric, published, statuses
from .conftest import RunningReferral
from .events import answer, case_closed, needs_assessed

pytestmark = pytest.mark.integration

ERROR, ERROR_TYPE = f"{DLQ_HEADER_PREFIX}error", f"{DLQ_HEADER_PREFIX}error-type"
SOURCE = f"{DLQ_HEADER_PREFIX}source-topic"


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
    jobs = "kumanovo-jobs"  # the partner it was sent to

    await referral.reply(answer(issued, "complete"))  # completing what was never accepted
    # another partner, on its own topic, about kumanovo-jobs's referral
    await referral.reply(answer(issued, "accept", partner_id="kumanovo-homes"))
    # another partner, on its own topic, naming kumanovo-jobs in the message
    await referral.answer_as("kumanovo-homes", answer(issued, "decline"))
    stranger = ReferralAccepted(referral_id=uuid4(), case_id=event.key, partner_id=jobs)
    await referral.answer_as(jobs, new_envelope(stranger, key=event.key, producer=jobs))
    await referral.answer_as(jobs, event)  # an intake event on a partner's answer topic
    await referral.reply(answer(issued, "accept"))  # the good one, after all of them

    await published(referral, key=event.key, type="ReferralStatusChanged", count=2)
    assert statuses(referral, event.key) == [("employment", "issued"), ("employment", "accepted")]
    dead = await dead_letters_on(referral, "referral.responses.dlq", event.key, 5)
    # answers on different partners' topics are read in no fixed order: compare what each one was
    reasons = sorted((d.headers[ERROR_TYPE], d.headers[ERROR]) for d in dead)
    referral_id = issued.data["referral_id"]
    assert reasons == sorted(
        [
            ("RefusedTransition", f"referral {referral_id} is issued: it cannot become completed"),
            (
                "WrongPartner",
                f"referral {referral_id} was not sent to partner 'kumanovo-homes'"
                " (it was sent to 'kumanovo-jobs')",
            ),
            (
                "WrongPartner",
                "the answer names partner 'kumanovo-jobs' but came from partner 'kumanovo-homes'",
            ),
            ("UnknownReferral", f"no referral {stranger.referral_id} is known"),
            (
                "UnexpectedEvent",
                "NeedsAssessed does not belong on referral.responses.kumanovo-jobs.v1 (expected one of "
                "ReferralAccepted, ReferralDeclined, ReferralCompleted)",
            ),
        ]
    )
    # the original headers travel along, so an operator sees what it was without parsing it; the
    # source topic says whose answer it was
    assert sorted((d.headers["event_type"], d.headers[SOURCE]) for d in dead) == sorted(
        [
            ("ReferralCompleted", referral.topics.partner_responses(jobs).name),
            ("ReferralAccepted", referral.topics.partner_responses("kumanovo-homes").name),
            ("ReferralDeclined", referral.topics.partner_responses("kumanovo-homes").name),
            ("ReferralAccepted", referral.topics.partner_responses(jobs).name),
            ("NeedsAssessed", referral.topics.partner_responses(jobs).name),
        ]
    )

    # completing a declined referral is refused too
    other = needs_assessed(municipality="kumanovo", needs=[Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, other)
    [offered] = await published(referral, key=other.key, type="ReferralIssued", count=1)
    await referral.reply(answer(offered, "decline"))
    await referral.reply(answer(offered, "complete"))
    [refused] = await dead_letters_on(referral, "referral.responses.dlq", other.key, 1)
    assert (
        refused.headers[ERROR]
        == f"referral {offered.data['referral_id']} is declined: it cannot become completed"
    )


async def test_an_answer_that_repeats_the_referrals_state_changes_nothing_and_is_no_dead_letter(
    referral: RunningReferral,
) -> None:
    """Partners receive referrals at least once and may answer one they received again: accepted
    twice, completed twice, the acceptance after the completion — each a new event id."""
    event = needs_assessed(municipality="kumanovo", needs=[Category.HOUSING, Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, event)
    issued = await published(referral, key=event.key, type="ReferralIssued", count=2)
    by_category = {s.data["category"]: s for s in issued}
    housing, jobs = by_category["housing"], by_category["employment"]
    repeated_before = await metric(referral, "homeward_referral_repeated_answers_total")

    for decision in ("accept", "accept", "complete", "complete", "accept"):
        await referral.reply(answer(housing, decision))
    for decision in ("decline", "decline"):  # declined twice: re-routed once
        await referral.reply(answer(jobs, decision))
    await referral.reply(answer(housing, "decline"))  # and a real mistake after all of them

    [late] = await dead_letters_on(referral, "referral.responses.dlq", event.key, 1)
    assert (
        late.headers[ERROR]
        == f"referral {housing.data['referral_id']} is completed: it cannot become declined"
    )
    # the two partners answer on their own topics, read in no fixed order: the dead letter may come
    # before the employment partner's declines are applied
    expected = sorted(
        [
            ("housing", "issued"),
            ("housing", "accepted"),
            ("housing", "completed"),
            ("employment", "issued"),
            ("employment", "declined"),
            ("employment", "unplaced"),  # kumanovo-jobs was the only one: once to the caseworker's list
        ]
    )

    async def every_answer_applied() -> bool:
        repeated = await metric(referral, "homeward_referral_repeated_answers_total")
        return sorted(statuses(referral, event.key)) == expected and repeated == repeated_before + 4

    await eventually(every_answer_applied, what="every answer applied, the four repeats counted")
    assert len(referral.recorder.find(key=event.key, type="ReferralIssued")) == 2


async def test_an_answer_after_the_referral_was_withdrawn_changes_nothing_and_is_no_dead_letter(
    referral: RunningReferral,
) -> None:
    """The case closed while the partner was deciding: its answers cross the withdrawal."""
    event = needs_assessed(municipality="kumanovo", needs=[Category.HOUSING, Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, event)
    issued = await published(referral, key=event.key, type="ReferralIssued", count=2)
    by_category = {s.data["category"]: s for s in issued}
    await referral.send(referral.topics.returnees, case_closed(UUID(event.key)))
    await published(referral, key=event.key, type="ReferralWithdrawn", count=2, topic="referrals.*")
    after_before = await metric(referral, "homeward_referral_answers_after_withdrawal_total")

    await referral.reply(answer(by_category["housing"], "accept"))
    await referral.reply(answer(by_category["employment"], "decline"))  # no re-routing either

    async def both_counted() -> bool:
        after = await metric(referral, "homeward_referral_answers_after_withdrawal_total")
        return after == after_before + 2

    await eventually(both_counted, what="both late answers counted")
    assert referral.recorder.find(topic="referral.responses.dlq", key=event.key) == []
    assert sorted(statuses(referral, event.key)) == sorted(
        [
            ("housing", "issued"),
            ("employment", "issued"),
            ("housing", "withdrawn"),
            ("employment", "withdrawn"),
        ]
    )
    assert len(referral.recorder.find(key=event.key, type="ReferralIssued")) == 2


async def test_the_deprecated_shared_topic_is_still_read_with_the_old_check_and_counted(
    referral: RunningReferral,
) -> None:
    event = needs_assessed(municipality="kumanovo", needs=[Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    shared = referral.topics.referral_responses
    before = await metric(referral, "homeward_referral_deprecated_answers_total")

    # the old check: the partner named in the message must be the one the referral was sent to
    await referral.send(shared, answer(issued, "accept", partner_id="kumanovo-homes"))
    await referral.send(shared, answer(issued, "accept"))

    await published(referral, key=event.key, type="ReferralStatusChanged", count=2)
    assert statuses(referral, event.key) == [("employment", "issued"), ("employment", "accepted")]
    [dead] = await dead_letters(referral, "referral.responses.v1", event.key, 1)
    assert dead.headers[ERROR_TYPE] == "WrongPartner"
    # both answers are counted (the refused one again if its batch was read again), neither by
    # partner: a partner's series moving as it answers would tell a reader of /metrics which partner
    # holds a case (the warning logged with each names it)
    assert await metric(referral, "homeward_referral_deprecated_answers_total") >= before + 2
