"""Cases change as lives do (issue 15, point 2): household edits, contact details, reopening — the
pure decisions and the events they publish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake.core import amendments, changes, decisions
from services.intake.core.case import (
    Arrival,
    ArrivalConfirmation,
    Case,
    CaseStatus,
    Contact,
    PlanStatus,
)
from services.intake.core.change_requests import ContactChange, HouseholdEdit, ReopeningRequest
from services.intake.core.errors import CaseConflict
from services.intake.core.requests import Closure, PlanProposal
from services.intake.core.validation import Invalid
from shared.events import intake as intake_events
from shared.events.codes import ArrivalMetBy, ArrivalMode, ReopenReason
from shared.events.envelope import registered_event_types
from shared.events.intake import CaseReopened, HouseholdChanged
from tests.unit.intake.samples import TODAY, family
from tests.unit.intake.test_case_decisions import CASEWORKER, NOW, SUPERVISOR, approved_case, registered

PHONE = "+389 70 123 456"
ADDRESS = "ul. Partizanska 12, Skopje"


def members_of(case: Case) -> list[dict[str, Any]]:
    """The case's members as an edit that keeps them all, in order."""
    return [{**m.model_dump(mode="json"), "was": i} for i, m in enumerate(case.members)]


def edit(members: list[dict[str, Any]]) -> HouseholdEdit:
    return HouseholdEdit.model_validate({"members": members})


NEWBORN = {
    "name": "Jana Petrovska",
    "date_of_birth": (TODAY - timedelta(days=20)).isoformat(),
    "sex": "female",
    "relationship": "child",
}


def test_a_member_added_publishes_the_household_as_it_is_now_without_names() -> None:
    case = registered().case
    decision = changes.edit_household(case, edit([*members_of(case), NEWBORN]), CASEWORKER, NOW)

    assert [m.name for m in decision.case.members][-1] == "Jana Petrovska"
    assert decision.summary == "Household changed: 4 members (1 added)"
    event = decision.event
    assert isinstance(event, HouseholdChanged)
    assert [m.age for m in event.household] == [34, 9, 4, 0]
    assert event.changed_by == str(CASEWORKER)
    published = event.model_dump_json()
    for member in decision.case.members:
        assert member.name not in published
        assert member.date_of_birth.isoformat() not in published
    assert "P1234567" not in published


def test_a_member_removed_and_one_corrected_are_counted_and_the_rest_kept() -> None:
    case = registered().case
    kept = members_of(case)
    kept[1]["name"] = "Marko Petrovski-Ilievski"  # a corrected spelling
    decision = changes.edit_household(case, edit([kept[0], kept[1]]), CASEWORKER, NOW)

    assert [m.name for m in decision.case.members] == ["Ana Petrovska", "Marko Petrovski-Ilievski"]
    assert decision.summary == "Household changed: 2 members (1 removed, 1 corrected)"
    assert isinstance(decision.event, HouseholdChanged)
    assert len(decision.event.household) == 2


def test_the_same_household_changes_nothing_and_publishes_nothing() -> None:
    case = registered().case
    decision = changes.edit_household(case, edit(members_of(case)), CASEWORKER, NOW)
    assert decision.case is case
    assert decision.event is None


def test_an_edit_that_breaks_the_household_rules_or_the_vulnerabilities_is_refused_with_its_fields() -> None:
    case = registered().case  # flagged single_parent
    members = members_of(case)
    two_principals = [members[0], {**members[1], "relationship": "principal"}, members[2]]
    no_children = [members[0]]  # single_parent needs a child
    bad_position = [members[0], {**members[1], "was": 7}, {**members[2], "was": 0}]

    problems = {
        name: {p.field for p in changes.household_edit_problems(case, edit(m), TODAY)}
        for name, m in (("principals", two_principals), ("children", no_children), ("position", bad_position))
    }
    assert problems["principals"] == {"members.1.relationship"}
    assert problems["children"] == {"vulnerabilities"}
    assert problems["position"] == {"members.1.was", "members.2.was"}
    with pytest.raises(Invalid):
        changes.edit_household(case, edit(no_children), CASEWORKER, NOW)


def test_who_did_not_travel_follows_the_member_through_an_edit() -> None:
    case = registered().case
    arrival = Arrival(
        mode=ArrivalMode.FLIGHT,
        carrier="LH",
        number="LH1234",
        arrival_point="SKP",
        scheduled_at=NOW - timedelta(days=2),
        meeting_code="K7Q2",
        announced_by=CASEWORKER,
        announced_at=NOW - timedelta(days=9),
        confirmation=ArrivalConfirmation(
            arrived_at=NOW - timedelta(days=2),
            met_by=ArrivalMetBy.RECEPTION_PARTNER,
            not_travelled=[2],  # Elena stayed behind
            confirmed_by=CASEWORKER,
            confirmed_at=NOW - timedelta(days=2),
        ),
    )
    case = case.model_copy(update={"arrival": arrival})
    members = members_of(case)
    # Marko is removed, Elena listed first after the principal, a newborn added
    decision = changes.edit_household(case, edit([members[0], members[2], NEWBORN]), CASEWORKER, NOW)

    confirmation = decision.case.arrival.confirmation if decision.case.arrival else None
    assert confirmation is not None
    assert confirmation.not_travelled == [1]
    assert [m.name for m in decision.case.travelled()] == ["Ana Petrovska", "Jana Petrovska"]
    assert isinstance(decision.event, HouseholdChanged)
    assert len(decision.event.household) == 2  # Elena did not travel: not in the household


@given(
    keep=st.lists(st.booleans(), min_size=3, max_size=3),
    order=st.permutations([0, 1, 2]),
    added=st.booleans(),
)
def test_any_edit_keeps_exactly_the_members_named_in_the_order_given(
    keep: list[bool], order: list[int], added: bool
) -> None:
    case = registered(vulnerabilities=[]).case
    members = members_of(case)
    chosen = [members[i] for i in order if keep[i] or i == 0]  # the principal always stays
    wanted = [*chosen, NEWBORN] if added else chosen
    decision = changes.edit_household(case, edit(wanted), CASEWORKER, NOW)
    assert [m.name for m in decision.case.members] == [m["name"] for m in wanted]
    unchanged = [m.get("was") for m in wanted] == [0, 1, 2]
    assert (decision.event is None) == unchanged


def test_no_household_edit_on_a_closed_case_or_before_the_arrival() -> None:
    case = registered().case
    closed = decisions.close(case, Closure(reason="reintegrated"), CASEWORKER, NOW).case
    expected = case.model_copy(update={"status": CaseStatus.EXPECTED})
    for refused in (closed, expected):
        with pytest.raises(CaseConflict):
            changes.edit_household(refused, edit(members_of(case)), CASEWORKER, NOW)


def test_contact_details_stay_home_no_event_and_no_detail_on_the_timeline() -> None:
    case = registered().case
    change = ContactChange.model_validate({"phone": f"  {PHONE} ", "address": ADDRESS})
    decision = changes.change_contact(case, change, CASEWORKER, NOW)

    assert decision.case.contact == Contact(phone=PHONE, address=ADDRESS)
    assert decision.event is None
    assert PHONE not in decision.summary
    assert "Partizanska" not in decision.summary
    again = changes.change_contact(decision.case, change, CASEWORKER, NOW)
    assert again.case is decision.case
    assert again.kind == "ContactUnchanged"


def test_a_phone_number_is_read_strictly() -> None:
    for bad in ("12", "call me", "+389\n70"):
        with pytest.raises(ValidationError, match="phone"):
            ContactChange.model_validate({"phone": bad})


def test_no_event_intake_publishes_has_a_field_for_a_contact() -> None:
    """The rule kept: a contact reaches no partner, since no event carries one (and no payload
    declares one: tests/unit/referral checks the payload models)."""
    for event_type, model in registered_event_types().items():
        if model.__module__ != intake_events.__name__:
            continue
        fields = _field_names(model.model_json_schema())
        assert not {f for f in fields if "phone" in f or "address" in f or "contact" in f}, event_type


def _field_names(schema: Any) -> set[str]:
    """Every property name in a JSON Schema, however deep."""
    if isinstance(schema, list):
        return set().union(*(_field_names(s) for s in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    own = set(schema.get("properties", {}))
    return own.union(*(_field_names(v) for v in schema.values())) if schema else own


def test_reopening_sets_an_approved_plan_aside_and_publishes_the_reason() -> None:
    case = approved_case()
    pending = amendments.propose_amendment(case, PLAN_AGAIN, uuid4(), CASEWORKER, NOW).case
    closed = decisions.close(pending, Closure(reason="unreachable"), CASEWORKER, NOW).case
    request = ReopeningRequest.model_validate({"reason": "returnee_recontacted", "note": "called the office"})
    decision = changes.reopen(closed, request, SUPERVISOR, NOW + timedelta(days=30))

    reopened = decision.case
    assert reopened.status is CaseStatus.ASSESSED  # it has needs
    assert reopened.plan is None
    assert reopened.amendment is None  # it amended the plan set aside
    assert reopened.closure is None
    assert [p.status for p in reopened.earlier_plans] == [PlanStatus.APPROVED]
    assert reopened.reopenings[0].closure == closed.closure
    assert decision.summary == "Case reopened: returnee_recontacted"
    event = decision.event
    assert isinstance(event, CaseReopened)
    assert (event.reason, event.reopened_by) == (ReopenReason.RETURNEE_RECONTACTED, str(SUPERVISOR))
    assert "called" not in event.model_dump_json()  # the note stays in intake
    # a new plan can be proposed for the reopened case
    assert decisions.propose_plan(reopened, PLAN_AGAIN, uuid4(), CASEWORKER, NOW).case.plan is not None


PLAN_AGAIN = PlanProposal.model_validate(
    {"assistance": [{"assistance_type": "cash", "requested": {"amount": 50_000, "currency": "EUR"}}]}
)


def test_only_a_closed_case_reopens_and_not_one_merged_into_another() -> None:
    request = ReopeningRequest(reason=ReopenReason.CLOSED_IN_ERROR)
    case = registered().case
    with pytest.raises(CaseConflict):
        changes.reopen(case, request, SUPERVISOR, NOW)
    closed = decisions.close(case, Closure(reason="other"), CASEWORKER, NOW).case
    merged = closed.model_copy(update={"merged_into": uuid4()})
    with pytest.raises(CaseConflict):
        changes.reopen(merged, request, SUPERVISOR, NOW)
    assert changes.reopen(closed, request, SUPERVISOR, NOW).case.status is CaseStatus.ASSESSED


def test_a_family_sample_edits_like_the_api_would_send_it() -> None:
    data = family()
    case = registered().case
    as_sent = [{**m, "was": i} for i, m in enumerate(data["members"])]
    assert changes.edit_household(case, edit(as_sent), CASEWORKER, NOW).event is None


def test_no_partner_payload_declares_a_contact() -> None:
    """The other half of the rule: a phone number would reach a partner only where its category's
    payload declared it; none does today, so none is sent (a contact change publishes nothing)."""
    from services.referral.core.payloads import PAYLOAD_MODELS

    for category, model in PAYLOAD_MODELS.items():
        fields = _field_names(model.model_json_schema())
        assert not {f for f in fields if "phone" in f or "address" in f or "contact" in f}, category


def test_erasure_leaves_no_contact_detail_nor_a_reopening_note() -> None:
    from services.intake.core.privacy import erased
    from shared.events.codes import ErasureReason

    case = registered().case
    with_contact = changes.change_contact(
        case, ContactChange.model_validate({"phone": PHONE, "address": ADDRESS}), CASEWORKER, NOW
    ).case
    closed = decisions.close(with_contact, Closure(reason="reintegrated"), CASEWORKER, NOW).case
    note = ReopeningRequest.model_validate({"reason": "other", "note": "met her at the market"})
    reopened = changes.reopen(closed, note, SUPERVISOR, NOW).case
    closed_again = decisions.close(reopened, Closure(reason="reintegrated"), CASEWORKER, NOW).case

    left = erased(closed_again, ErasureReason.RETENTION_ENDED, None, NOW).model_dump_json()
    for personal in (PHONE, "Partizanska", "market"):
        assert personal not in left
