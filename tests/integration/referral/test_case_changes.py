"""Issue 15, point 2, as referral meets it on the real broker: a household change keeps the facts
partners' payloads are built from current (the next partner a housing referral goes to is told
the household as it is now); a closed case ignores facts until intake reopens it, and a reopening
alone issues nothing — the assessment after it does."""

from __future__ import annotations

from uuid import UUID

import pytest

from shared.events import Category, Envelope, Relationship, Sex, new_envelope
from shared.events.codes import ReopenReason
from shared.events.intake import CaseReopened, HouseholdChanged, HouseholdMember
from tests.support import eventually

from .checks import published, statuses
from .conftest import RunningReferral
from .events import ADULT_WOMAN, DAUGHTER, answer, case_closed, needs_assessed

pytestmark = pytest.mark.integration

H = Category.HOUSING
SON = HouseholdMember(age=1, sex=Sex.MALE, relationship=Relationship.CHILD)


def household_changed(case_id: UUID, household: list[HouseholdMember]) -> Envelope:
    event = HouseholdChanged(
        case_id=case_id,
        programme_id="NL-AVRR",
        municipality="skopje",
        household=household,
        needs=[H],
        consent={H: True},
        changed_by="caseworker-7",
    )
    return new_envelope(event, key=case_id, producer="intake")


def case_reopened(case_id: UUID) -> Envelope:
    event = CaseReopened(
        case_id=case_id, programme_id="NL-AVRR", reason=ReopenReason.NEW_NEEDS, reopened_by="supervisor-2"
    )
    return new_envelope(event, key=case_id, producer="intake")


async def test_after_a_household_change_the_next_partner_is_told_the_household_as_it_is(
    referral: RunningReferral,
) -> None:
    assessed = needs_assessed(municipality="skopje", needs=[H])
    case_id = UUID(assessed.key)
    await referral.send(referral.topics.returnees, assessed)
    [first] = await published(referral, key=assessed.key, type="ReferralIssued", count=1)
    assert first.data["payload"]["household_size"] == 2

    changed = household_changed(case_id, [ADULT_WOMAN, DAUGHTER, SON])
    await referral.send(referral.topics.returnees, changed)
    await eventually(lambda: referral.inbox_has(changed.event_id), what="the household change applied")
    # the live referral stands (one per case and category); the change issued nothing itself
    assert len(referral.recorder.find(key=assessed.key, type="ReferralIssued")) == 1

    await referral.reply(answer(first, "decline"))
    second = (await published(referral, key=assessed.key, type="ReferralIssued", count=2))[1]
    assert second.data["payload"]["household_size"] == 3
    assert second.data["payload"]["ages"] == [31, 10, 1]


async def test_a_closed_case_ignores_facts_until_reopened_and_the_reopening_alone_issues_nothing(
    referral: RunningReferral,
) -> None:
    assessed = needs_assessed(municipality="skopje", needs=[H])
    case_id = UUID(assessed.key)
    await referral.send(referral.topics.returnees, assessed)
    await published(referral, key=assessed.key, type="ReferralIssued", count=1)
    await referral.send(referral.topics.returnees, case_closed(case_id))
    await published(referral, key=assessed.key, type="ReferralWithdrawn", count=1)

    ignored = household_changed(case_id, [ADULT_WOMAN, DAUGHTER, SON])
    await referral.send(referral.topics.returnees, ignored)
    await eventually(lambda: referral.inbox_has(ignored.event_id), what="the change to a closed case")
    reopened = case_reopened(case_id)
    await referral.send(referral.topics.returnees, reopened)
    await eventually(lambda: referral.inbox_has(reopened.event_id), what="the reopening applied")
    assert len(referral.recorder.find(key=assessed.key, type="ReferralIssued")) == 1

    again = needs_assessed(municipality="skopje", needs=[H], case_id=case_id)
    await referral.send(referral.topics.returnees, again)
    issued = await published(referral, key=assessed.key, type="ReferralIssued", count=2)
    assert issued[1].data["payload"]["household_size"] == 2  # the assessment's household
    assert statuses(referral, assessed.key) == [
        ("housing", "issued"),
        ("housing", "withdrawn"),
        ("housing", "issued"),
    ]
