"""Timeline entries from referral and grants events, and the merge with the case's own changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.intake.core.errors import UnknownCase
from services.intake.core.timeline import Source, TimelineEntry, consumed_entry, describe, merge, withheld
from shared.events import MalformedEvent, new_envelope
from shared.events.grants import GrantClosed, InstallmentFailed
from shared.events.referral import ReferralEscalated, ReferralHeld, ReferralReleased, ReferralStatusChanged
from shared.money import Money
from shared.poison import is_poison

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
CASE = uuid4()


def entry(minutes: int, source: Source, kind: str = "x") -> TimelineEntry:
    return TimelineEntry(occurred_at=T0 + timedelta(minutes=minutes), source=source, type=kind, summary=kind)


def test_merge_orders_by_time_and_puts_intake_first_on_a_tie() -> None:
    own = [entry(0, Source.INTAKE, "Registered"), entry(10, Source.INTAKE, "PlanApproved")]
    consumed = [entry(10, Source.GRANTS, "GrantOpened"), entry(5, Source.REFERRAL, "ReferralStatusChanged")]
    assert [e.type for e in merge(own, consumed)] == [
        "Registered",
        "ReferralStatusChanged",
        "PlanApproved",
        "GrantOpened",
    ]


def test_referral_events_are_described_with_codes_only() -> None:
    changed = ReferralStatusChanged(
        referral_id=uuid4(),
        case_id=CASE,
        partner_id="ohrid-shelter",
        category="housing",
        status="declined",
        previous_status="issued",
        reason="no capacity",
    )
    assert describe(changed) == "Referral for housing with ohrid-shelter: declined (was issued): no capacity"
    unplaced = changed.model_copy(
        update={"partner_id": None, "status": "unplaced", "previous_status": None, "reason": None}
    )
    assert describe(unplaced) == "Referral for housing: unplaced"
    escalated = ReferralEscalated(
        referral_id=uuid4(), case_id=CASE, partner_id="ohrid-shelter", category="housing", deadline=T0
    )
    assert (
        describe(escalated)
        == "Referral for housing with ohrid-shelter escalated: no answer by 2025-06-15T09:00+00:00"
    )


def test_grant_events_are_described_with_their_amounts() -> None:
    eur = Money(amount=12_345, currency="EUR")
    failed = InstallmentFailed(
        grant_id=uuid4(), case_id=CASE, installment_id=uuid4(), amount=eur, reason="bank rejected"
    )
    closed = GrantClosed(grant_id=uuid4(), case_id=CASE, reason="case closed", released=eur)
    assert describe(failed) == "Installment failed: EUR 123.45: bank rejected"
    assert describe(closed) == "Grant closed: case closed; EUR 123.45 released"


def test_a_consumed_event_becomes_an_entry_for_its_case() -> None:
    event = ReferralStatusChanged(
        referral_id=uuid4(), case_id=CASE, partner_id="p-1", category="education", status="accepted"
    )
    envelope = new_envelope(event, key=CASE, producer="referral", occurred_at=T0)
    reported = consumed_entry(envelope, Source.REFERRAL)
    assert reported.case_id == CASE
    assert reported.entry == TimelineEntry(
        occurred_at=T0,
        source=Source.REFERRAL,
        type="ReferralStatusChanged",
        summary="Referral for education with p-1: accepted",
        event_id=envelope.event_id,
    )
    assert reported.withheld_summary == "Referral for education with a partner: accepted"


def test_the_withheld_line_has_neither_the_partner_nor_its_deadline_nor_its_words() -> None:
    """A safe house's id, its one-day deadline or its own words would tell an auditor the case's
    vulnerability: the withheld line has none of them, for every partner alike."""
    referral_id = uuid4()

    def status(status: str, reason: str | None = None, previous: str | None = None) -> ReferralStatusChanged:
        return ReferralStatusChanged(
            referral_id=referral_id,
            case_id=CASE,
            partner_id="kale-safe-house",
            category="housing",
            status=status,
            previous_status=previous,
            reason=reason,
        )

    declined = status("declined", reason="we only take victims of trafficking", previous="escalated")
    assert describe(declined) == (
        "Referral for housing with kale-safe-house: declined (was escalated):"
        " we only take victims of trafficking"
    )
    assert withheld(declined) == "Referral for housing with a partner: declined"
    assert withheld(status("withdrawn", reason="consent_withdrawn")) == (
        "Referral for housing with a partner: withdrawn: consent_withdrawn"
    )
    assert withheld(status("completed", reason="moved into the safe house on 3 May")) == (
        "Referral for housing with a partner: completed"
    )
    # an escalation says when the deadline passed: not shown to them at all
    assert withheld(status("escalated")) is None
    escalated = ReferralEscalated(
        referral_id=referral_id, case_id=CASE, partner_id="kale-safe-house", category="housing", deadline=T0
    )
    assert "kale-safe-house" in describe(escalated)
    assert withheld(escalated) is None
    # without a partner the line says so the same way for everyone
    unplaced = ReferralStatusChanged(
        referral_id=referral_id, case_id=CASE, partner_id=None, category="housing", status="unplaced"
    )
    assert withheld(unplaced) == describe(unplaced) == "Referral for housing: unplaced"


def test_an_event_type_this_version_does_not_know_is_kept_by_its_type() -> None:
    known = new_envelope(
        ReferralStatusChanged(
            referral_id=uuid4(), case_id=CASE, partner_id=None, category="medical", status="issued"
        ),
        key=CASE,
        producer="referral",
    )
    newer = known.model_copy(update={"type": "ReferralReassigned"})
    reported = consumed_entry(newer, Source.REFERRAL)
    found = reported.entry
    assert (reported.case_id, found.type, found.summary) == (CASE, "ReferralReassigned", "ReferralReassigned")
    assert reported.withheld_summary == "ReferralReassigned"


def test_an_unknown_type_without_a_case_id_is_refused() -> None:
    known = new_envelope(
        ReferralStatusChanged(
            referral_id=uuid4(), case_id=CASE, partner_id=None, category="medical", status="issued"
        ),
        key="not-a-case",
        producer="referral",
    )
    newer = known.model_copy(update={"type": "SomethingElse", "data": {}})
    with pytest.raises(UnknownCase, match="names no case id"):
        consumed_entry(newer, Source.REFERRAL)


def test_an_event_about_an_unknown_case_is_poison_the_consumer_may_dead_letter() -> None:
    assert is_poison(
        UnknownCase("ReferralStatusChanged is about case 0190..., which intake never registered")
    )


def test_a_known_type_whose_data_does_not_fit_is_malformed() -> None:
    known = new_envelope(
        ReferralStatusChanged(
            referral_id=uuid4(), case_id=CASE, partner_id=None, category="medical", status="issued"
        ),
        key=CASE,
        producer="referral",
    )
    broken = known.model_copy(update={"data": {**known.data, "status": "lost"}})
    with pytest.raises(MalformedEvent):
        consumed_entry(broken, Source.REFERRAL)


def test_a_hold_and_its_release_are_told_to_those_who_see_escalations_only() -> None:
    hold = ReferralHeld(referral_id=uuid4(), case_id=CASE, category="housing")
    release = ReferralReleased(referral_id=uuid4(), case_id=CASE, category="housing")
    assert describe(hold) == "Referral for housing held by the caseworker: not re-routed automatically"
    assert describe(release) == (
        "Referral for housing released: re-routed automatically after its second deadline"
    )
    # only an escalated referral is held: its timing gives the deadline away
    assert withheld(hold) is None
    assert withheld(release) is None


def test_a_caseworkers_withdrawal_shows_its_reason_to_every_reader() -> None:
    changed = ReferralStatusChanged(
        referral_id=uuid4(),
        case_id=CASE,
        partner_id="ohrid-shelter",
        category="housing",
        status="withdrawn",
        previous_status="issued",
        reason="returnee_declined",
    )
    assert describe(changed) == (
        "Referral for housing with ohrid-shelter: withdrawn (was issued): returnee_declined"
    )
    assert withheld(changed) == "Referral for housing with a partner: withdrawn: returnee_declined"
