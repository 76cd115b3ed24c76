"""Routing by example: who gets the referral, how urgent, and what they may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.referral.core.directory import AgeGroup, Eligibility
from services.referral.core.payloads import payload_for
from services.referral.core.routing import WAITED_TOO_LONG_DAYS, place, plan_referrals, priority_for
from shared.events import Category, Priority, ReferralStatus, Relationship, Sex, Urgency, Vulnerability

from .factories import directory, facts, member, partner

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
H, E, J = Category.HOUSING, Category.EDUCATION, Category.EMPLOYMENT


TODAY = NOW.date()
LONG_AGO = TODAY - timedelta(days=WAITED_TOO_LONG_DAYS + 1)
RECENTLY = TODAY - timedelta(days=WAITED_TOO_LONG_DAYS)


@pytest.mark.parametrize(
    ("urgency", "arrival", "expected"),
    [
        (Urgency.NORMAL, None, Priority.NORMAL),
        (Urgency.NORMAL, RECENTLY, Priority.NORMAL),
        (Urgency.NORMAL, LONG_AGO, Priority.HIGH),  # waited too long for help
        (Urgency.HIGH, RECENTLY, Priority.HIGH),
        (Urgency.HIGH, LONG_AGO, Priority.HIGH),
        (Urgency.URGENT, RECENTLY, Priority.URGENT),
        (Urgency.URGENT, LONG_AGO, Priority.URGENT),
    ],
)
def test_priority_comes_from_the_caseworkers_urgency_and_the_arrival_date(
    urgency: Urgency, arrival: date | None, expected: Priority
) -> None:
    assert priority_for(urgency, arrival, TODAY) is expected


def test_no_vulnerability_raises_a_referrals_priority() -> None:
    d = directory(partner("housing", H))
    plain = place(facts(), H, d, {}, NOW)
    for vulnerability in Vulnerability:
        assert place(facts(vulnerabilities=[vulnerability]), H, d, {}, NOW).priority is plain.priority
    assert place(facts(urgency=Urgency.URGENT), H, d, {}, NOW).priority is Priority.URGENT


def test_a_partner_may_require_only_a_vulnerability_each_of_its_categories_declares() -> None:
    shelter = Eligibility(requires_any_of=(Vulnerability.VICTIM_OF_TRAFFICKING,))
    assert partner("shelter", H, Category.COUNSELLING, eligibility=shelter).eligibility == shelter
    with pytest.raises(ValidationError, match="employment partners may not be told of victim_of_trafficking"):
        partner("shelter", H, J, eligibility=shelter)


@pytest.mark.parametrize("category", [Category.VOCATIONAL_TRAINING, Category.MICRO_BUSINESS])
@pytest.mark.parametrize("vulnerability", list(Vulnerability))
def test_training_centres_and_business_advisers_are_told_of_no_vulnerability_so_require_none(
    category: Category, vulnerability: Vulnerability
) -> None:
    """Their eligibility is the other categories' (age group, sex), but never a vulnerability: their
    payload declares none, so choosing one for it would tell them."""
    assert partner("adults-only", category, eligibility=Eligibility(age_group="adults")).serves(category)
    with pytest.raises(
        ValidationError, match=f"{category.value} partners may not be told of {vulnerability.value}"
    ):
        partner("specialised", category, eligibility=Eligibility(requires_any_of=(vulnerability,)))


def test_one_referral_per_needed_category_to_a_partner_that_serves_it_there() -> None:
    d = directory(
        partner("housing-skopje", H),
        partner("housing-bitola", H, municipalities=("bitola",)),
        partner("jobs-skopje", J),
    )
    placements = plan_referrals(facts(needs=[J, H, H]), d, {}, NOW)
    assert [(p.category, p.status, p.partner_id) for p in placements] == [
        (H, ReferralStatus.ISSUED, "housing-skopje"),
        (J, ReferralStatus.ISSUED, "jobs-skopje"),
    ]
    assert placements[0].respond_by == NOW + timedelta(hours=48)


def test_the_least_loaded_partner_wins_by_share_of_capacity_then_by_id() -> None:
    d = directory(
        partner("b-big", H, capacity=10), partner("a-small", H, capacity=2), partner("c-big", H, capacity=10)
    )
    assert (
        place(facts(), H, d, {("a-small", H): 1, ("b-big", H): 4, ("c-big", H): 4}, NOW).partner_id == "b-big"
    )
    assert place(facts(), H, d, {("a-small", H): 0, ("b-big", H): 0}, NOW).partner_id == "a-small"


def test_a_full_partner_is_passed_over_and_with_nobody_left_the_referral_is_unplaced() -> None:
    d = directory(partner("only-one", H, capacity=2))
    assert place(facts(), H, d, {("only-one", H): 1}, NOW).partner_id == "only-one"
    unplaced = place(facts(), H, d, {("only-one", H): 2}, NOW)
    assert (unplaced.status, unplaced.partner_id, unplaced.payload) == (ReferralStatus.UNPLACED, None, {})


def test_without_consent_there_is_no_partner_and_no_payload() -> None:
    d = directory(partner("housing", H), partner("jobs", J))
    placements = plan_referrals(facts(needs=[H, J], consent={H: True, J: False}), d, {}, NOW)
    assert [(p.category, p.status, p.partner_id, p.payload) for p in placements][1] == (
        J,
        ReferralStatus.NEEDS_CONSENT,
        None,
        {},
    )


def test_a_partner_that_declined_is_never_chosen_again() -> None:
    d = directory(partner("first", H), partner("second", H))
    assert place(facts(), H, d, {}, NOW, excluded={"first"}).partner_id == "second"
    assert place(facts(), H, d, {}, NOW, excluded={"first", "second"}).status is ReferralStatus.UNPLACED


def test_a_trafficking_shelter_takes_only_cases_that_carry_the_flag() -> None:
    shelter = partner(
        "shelter",
        H,
        eligibility=Eligibility(sex=Sex.FEMALE, requires_any_of=(Vulnerability.VICTIM_OF_TRAFFICKING,)),
    )
    woman = [member(27, Sex.FEMALE, Relationship.PRINCIPAL)]
    d = directory(shelter)
    assert place(facts(household=woman), H, d, {}, NOW).status is ReferralStatus.UNPLACED
    flagged = facts(household=woman, vulnerabilities=[Vulnerability.VICTIM_OF_TRAFFICKING])
    issued = place(flagged, H, d, {}, NOW)
    assert (issued.partner_id, issued.priority) == ("shelter", Priority.NORMAL)
    assert issued.payload["vulnerabilities"] == ["victim_of_trafficking"]  # housing declares it
    general = directory(shelter, partner("general-housing", H))
    assert place(flagged, H, general, {("shelter", H): 3}, NOW).partner_id == "shelter"  # specialised first
    assert place(facts(household=woman), H, general, {}, NOW).partner_id == "general-housing"
    man = facts(
        household=[member(27, Sex.MALE, Relationship.PRINCIPAL)],
        vulnerabilities=[Vulnerability.VICTIM_OF_TRAFFICKING],
    )
    assert place(man, H, d, {}, NOW).status is ReferralStatus.UNPLACED


def test_age_rules_look_at_the_school_age_children_for_education_and_at_the_returnee_otherwise() -> None:
    d = directory(
        partner("kids-school", E, eligibility=Eligibility(age_group=AgeGroup.MINORS)),
        partner("adult-school", E, eligibility=Eligibility(age_group=AgeGroup.ADULTS)),
        partner("adult-jobs", J, eligibility=Eligibility(age_group=AgeGroup.ADULTS)),
    )
    family = facts(needs=[E, J])
    assert [p.partner_id for p in plan_referrals(family, d, {}, NOW)] == ["kids-school", "adult-jobs"]
    single_adult = facts(needs=[E, J], household=[member(40, Sex.MALE, Relationship.PRINCIPAL)])
    assert [p.partner_id for p in plan_referrals(single_adult, d, {}, NOW)] == ["adult-school", "adult-jobs"]
    minor_alone = facts(needs=[J], household=[member(16, Sex.MALE, Relationship.PRINCIPAL)])
    assert plan_referrals(minor_alone, d, {}, NOW)[0].status is ReferralStatus.UNPLACED


def test_each_category_sees_only_its_own_fields() -> None:
    case = facts(
        household=[
            member(41, Sex.FEMALE, Relationship.PRINCIPAL),
            member(12, school_level="lower_secondary"),
            member(3),
        ],
        vulnerabilities=[Vulnerability.SINGLE_PARENT, Vulnerability.MEDICAL_CONDITION],
    )
    ages = [41, 12, 3]
    assert payload_for(H, case) == {
        "household_size": 3,
        "ages": ages,
        "municipality": "skopje",
        "vulnerabilities": [],
    }
    assert payload_for(E, case) == {
        "school_age_members": [{"age": 12, "school_level": "lower_secondary"}],
        "vulnerabilities": [],
    }
    assert payload_for(J, case) == {
        "skills": ["welding", "driving licence C"],
        "work_history": [{"sector": "construction", "years": 6}],
    }
    # medical declares a medical condition; no category declares single_parent
    assert payload_for(Category.MEDICAL, case) == {"ages": ages, "vulnerabilities": ["medical_condition"]}
    assert payload_for(Category.COUNSELLING, case) == {"ages": ages, "vulnerabilities": []}


def test_settled_categories_are_not_planned_again_and_loads_grow_within_one_plan() -> None:
    d = directory(partner("pp", H, E, capacity=1))
    case = facts(needs=[H, E])
    assert [p.category for p in plan_referrals(case, d, {}, NOW, settled={H})] == [E]
    placements = plan_referrals(case, d, {("pp", H): 0, ("pp", E): 0}, NOW)
    assert [p.partner_id for p in placements] == ["pp", "pp"]  # one place in each category
