"""Routing's guarantees, checked over generated cases, directories and loads (hypothesis)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from services.referral.core.directory import AgeGroup, Directory, Eligibility, Partner, Service
from services.referral.core.payloads import DECLARED_VULNERABILITIES, PAYLOAD_FIELDS, disclosed
from services.referral.core.routing import Placement, is_eligible, plan_referrals, routed_now
from shared.events import Category, ReferralStatus, Relationship, Sex, Urgency, Vulnerability
from shared.events.codes import (
    ARRIVAL_CATEGORIES,
    ArrivalMode,
    BusinessPlanStage,
    BusinessSector,
    SpecialAssistance,
)
from shared.events.intake import CaseFacts, ExpectedArrival, HouseholdMember, WorkExperience

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LoadMap = dict[tuple[str, Category], int]
MUNICIPALITIES = ["skopje", "bitola", "ohrid", "tetovo"]
ARRIVAL_POINTS = ["SKP", "OHD", "KAFASAN"]
PARTNER_IDS = ["p-alpha", "p-bravo", "p-charlie", "p-delta", "p-echo", "p-foxtrot", "p-golf"]
# an alphabet that cannot spell any vulnerability code, so a leak would be visible in the payload
FREE_TEXT = st.text(alphabet="abcdefgh ", min_size=1, max_size=12)

members = st.builds(
    HouseholdMember,
    age=st.integers(0, 95),
    sex=st.sampled_from(Sex),
    relationship=st.sampled_from(Relationship),
    school_level=st.none() | st.sampled_from(["primary", "lower_secondary", "none"]),
)

case_facts = st.builds(
    CaseFacts,
    case_id=st.just(UUID(int=7)),
    programme_id=st.just("NL-AVRR"),
    municipality=st.sampled_from(MUNICIPALITIES),
    household=st.lists(members, max_size=6),
    vulnerabilities=st.lists(st.sampled_from(Vulnerability), unique=True),
    needs=st.lists(st.sampled_from(Category), max_size=7),
    consent=st.dictionaries(st.sampled_from(Category), st.booleans()),
    skills=st.lists(FREE_TEXT, max_size=3),
    work_history=st.lists(st.builds(WorkExperience, sector=FREE_TEXT, years=st.integers(0, 40)), max_size=3),
    training_wanted=st.lists(FREE_TEXT, max_size=3),
    business_sector=st.none() | st.sampled_from(BusinessSector),
    business_plan_stage=st.none() | st.sampled_from(BusinessPlanStage),
    urgency=st.sampled_from(Urgency),
    arrival_date=st.none() | st.dates(date(2024, 1, 1), NOW.date()),
    # half the cases are announced returns, not arrived yet (their flight between now and 30 days on)
    expected_arrival=st.none()
    | st.builds(
        ExpectedArrival,
        mode=st.sampled_from(ArrivalMode),
        carrier=st.just("Wizz Air"),
        number=st.just("W6 4321"),
        arrival_point=st.sampled_from(ARRIVAL_POINTS),
        scheduled_at=st.integers(0, 30 * 24 * 60).map(lambda m: NOW + timedelta(minutes=m)),
        special_assistance=st.lists(st.sampled_from(SpecialAssistance), unique=True, max_size=2),
        meeting_code=st.just("K7Q4-M2"),
    ),
)
vulnerability_sets = st.lists(st.sampled_from(Vulnerability), unique=True)


@st.composite
def directories(draw: st.DrawFn, *, validated: bool = True) -> Directory:
    """Partners with generated categories, places and eligibility. A specialised partner requires
    only vulnerabilities every category it serves declares — unless `validated` is False: then
    any requirement at all, as if a directory had slipped past its checks (routing must still
    look at nothing a category does not declare)."""
    ids = draw(st.lists(st.sampled_from(PARTNER_IDS), min_size=1, max_size=len(PARTNER_IDS), unique=True))
    partners = []
    for partner_id in ids:
        categories = draw(
            st.dictionaries(
                st.sampled_from(Category),
                st.builds(
                    Service,
                    capacity=st.integers(0, 3),
                    deadline_hours=st.integers(1, 200),
                    answer_before_arrival_hours=st.integers(0, 72),
                ),
                min_size=1,
            )
        )
        allowed = (
            frozenset.intersection(*(DECLARED_VULNERABILITIES[c] for c in categories))
            if validated
            else frozenset(Vulnerability)
        )
        eligibility = Eligibility(
            age_group=draw(st.sampled_from(AgeGroup)),
            sex=draw(st.none() | st.sampled_from(Sex)),
            requires_any_of=tuple(
                draw(st.lists(st.sampled_from(sorted(allowed)), max_size=2, unique=True)) if allowed else ()
            ),
        )
        fields: dict[str, Any] = {
            "id": partner_id,
            "name": partner_id,
            "municipalities": tuple(draw(st.lists(st.sampled_from(MUNICIPALITIES), min_size=1, unique=True))),
            "arrival_points": tuple(draw(st.lists(st.sampled_from(ARRIVAL_POINTS), min_size=1, unique=True))),
            "categories": categories,
            "eligibility": eligibility,
        }
        partners.append(Partner(**fields) if validated else Partner.model_construct(**fields))
    on_announcement = tuple(draw(st.lists(st.sampled_from(Category), unique=True, max_size=3)))
    return (
        Directory(partners=tuple(partners), issued_on_announcement=on_announcement)
        if validated
        else Directory.model_construct(partners=tuple(partners), issued_on_announcement=on_announcement)
    )


loads_strategy = st.dictionaries(
    st.tuples(st.sampled_from(PARTNER_IDS), st.sampled_from(Category)), st.integers(0, 3)
)
exclusions = st.dictionaries(st.sampled_from(Category), st.sets(st.sampled_from(PARTNER_IDS), max_size=3))


@given(case_facts, directories(), loads_strategy, exclusions)
def test_an_issued_referral_goes_only_to_a_partner_that_serves_covers_takes_and_has_room(
    facts: CaseFacts, directory: Directory, loads: LoadMap, excluded: dict[Category, set[str]]
) -> None:
    for placement in plan_referrals(facts, directory, loads, NOW, excluded=excluded):
        if placement.status is not ReferralStatus.ISSUED:
            assert placement.partner_id is None
            continue
        partner = directory.partner(placement.partner_id or "")
        assert partner is not None
        assert partner.serves(placement.category)
        if placement.category in ARRIVAL_CATEGORIES:
            assert facts.expected_arrival is not None
            assert partner.covers_trip(
                placement.category, facts.expected_arrival.arrival_point, facts.municipality
            )
        else:
            assert partner.covers(facts.municipality)
        assert is_eligible(partner, placement.category, facts)
        assert (
            loads.get((partner.id, placement.category), 0) < partner.categories[placement.category].capacity
        )
        assert partner.id not in excluded.get(placement.category, set())


@given(case_facts, directories(), loads_strategy)
def test_a_payload_holds_only_its_category_fields_and_no_vulnerability_it_does_not_declare(
    facts: CaseFacts, directory: Directory, loads: LoadMap
) -> None:
    for placement in plan_referrals(facts, directory, loads, NOW):
        assert set(placement.payload) <= PAYLOAD_FIELDS[placement.category]
        if placement.status is not ReferralStatus.ISSUED:
            assert placement.payload == {}
            continue
        told = placement.payload.get("vulnerabilities", [])
        assert told == disclosed(placement.category, facts.vulnerabilities)
        # reception and transport are told the special assistance the announcement asked for (and
        # only that): their payloads declare it
        assistance = placement.payload.get("special_assistance", [])
        assert assistance == (facts.expected_arrival.special_assistance if assistance else [])  # type: ignore[union-attr]
        said = ("vulnerabilities", "special_assistance")
        rest = json.dumps({k: v for k, v in placement.payload.items() if k not in said})
        assert not [v for v in Vulnerability if v.value in rest]


def _seen_by_partner(placement: Placement) -> tuple[object, ...]:
    """Everything a partner can observe of a placement: whether it gets the referral, which partner
    does, what it is sent, how urgent, and by when it must answer."""
    return (
        placement.status,
        placement.partner_id,
        placement.payload,
        placement.priority,
        placement.respond_by,
    )


@settings(max_examples=400)
@given(
    case_facts,
    st.booleans(),
    vulnerability_sets,
    vulnerability_sets,
    directories() | directories(validated=False),
    loads_strategy,
)
def test_cases_that_differ_only_in_vulnerabilities_look_the_same_to_partners_unless_their_category_is_told(
    facts: CaseFacts,
    consents_to_all: bool,
    some: list[Vulnerability],
    other: list[Vulnerability],
    directory: Directory,
    loads: LoadMap,
) -> None:
    """No inference: the partner-visible fields of two cases that differ only in vulnerabilities are
    identical (same partner, payload, priority, deadline) unless the category declares one of the
    vulnerabilities in which they differ — and then only with consent to share with it."""
    if consents_to_all:  # half the cases consent to every need: referrals are issued, not held
        facts = facts.model_copy(update={"consent": dict.fromkeys(Category, True)})
    first = plan_referrals(facts.model_copy(update={"vulnerabilities": some}), directory, loads, NOW)
    second = plan_referrals(facts.model_copy(update={"vulnerabilities": other}), directory, loads, NOW)
    assert [p.category for p in first] == [p.category for p in second]
    for a, b in zip(first, second, strict=True):
        category = a.category
        if disclosed(category, some) == disclosed(category, other) or not facts.consent.get(category):
            assert _seen_by_partner(a) == _seen_by_partner(b), category
        # the priority never depends on a vulnerability, told or not
        assert a.priority is b.priority


@given(case_facts, directories(), loads_strategy)
def test_no_referral_without_consent_and_one_decision_per_needed_category(
    facts: CaseFacts, directory: Directory, loads: LoadMap
) -> None:
    placements = plan_referrals(facts, directory, loads, NOW)
    assert sorted(p.category for p in placements) == sorted(
        {c for c in facts.needs if routed_now(c, facts, directory)}
    )
    for placement in placements:
        consented = facts.consent.get(placement.category, False)
        assert (placement.status is ReferralStatus.NEEDS_CONSENT) == (not consented)
        if placement.status is ReferralStatus.ISSUED:
            assert consented


@given(case_facts, directories(), loads_strategy, st.randoms(use_true_random=False))
def test_equal_input_gives_equal_decisions_whatever_the_directory_order(
    facts: CaseFacts, directory: Directory, loads: LoadMap, random: object
) -> None:
    first = plan_referrals(facts, directory, loads, NOW)
    assert plan_referrals(facts, directory, dict(loads), NOW) == first
    shuffled = list(directory.partners)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    reordered = Directory(partners=tuple(shuffled), issued_on_announcement=directory.issued_on_announcement)
    assert plan_referrals(facts, reordered, loads, NOW) == first


@given(st.lists(case_facts, min_size=1, max_size=25), directories())
def test_routing_case_after_case_never_fills_a_partner_beyond_its_capacity(
    cases: list[CaseFacts], directory: Directory
) -> None:
    in_use: dict[tuple[str, Category], int] = {}
    for facts in cases:
        for placement in plan_referrals(facts, directory, in_use, NOW):
            if placement.partner_id is not None:
                key = (placement.partner_id, placement.category)
                in_use[key] = in_use.get(key, 0) + 1
    for (partner_id, category), used in in_use.items():
        partner = directory.partner(partner_id)
        assert partner is not None
        assert used <= partner.categories[category].capacity


def _training_payload(f: CaseFacts) -> dict[str, Any]:
    return {
        "skills": f.skills,
        "work_history": [w.model_dump(mode="json") for w in f.work_history],
        "training_wanted": f.training_wanted,
    }


def _business_payload(f: CaseFacts) -> dict[str, Any]:
    return {
        "business_sector": f.business_sector.value if f.business_sector else None,
        "plan_stage": f.business_plan_stage.value if f.business_plan_stage else None,
    }


# What a training centre and a business advisory service are sent: exactly these facts of the case.
SERVICE_PAYLOADS: dict[Category, Callable[[CaseFacts], dict[str, Any]]] = {
    Category.VOCATIONAL_TRAINING: _training_payload,
    Category.MICRO_BUSINESS: _business_payload,
}


@given(case_facts, directories(), loads_strategy)
def test_training_and_business_referrals_go_to_their_own_partners_with_their_payload_and_nothing_more(
    facts: CaseFacts, directory: Directory, loads: LoadMap
) -> None:
    facts = facts.model_copy(update={"consent": dict.fromkeys(Category, True)})
    for placement in plan_referrals(facts, directory, loads, NOW):
        if placement.category not in SERVICE_PAYLOADS:
            # no other category is told what the returnee wants to learn or set up
            assert not {"training_wanted", "business_sector", "plan_stage"} & set(placement.payload)
            continue
        if placement.status is not ReferralStatus.ISSUED:
            continue
        partner = directory.partner(placement.partner_id or "")
        assert partner is not None
        assert partner.serves(placement.category)
        assert placement.payload == SERVICE_PAYLOADS[placement.category](facts)


def test_a_partner_serving_only_employment_never_gets_a_training_or_business_referral() -> None:
    employment = Partner(
        id="jobs",
        name="jobs",
        municipalities=("skopje",),
        categories={Category.EMPLOYMENT: Service(capacity=5, deadline_hours=24)},
    )
    facts = CaseFacts(
        case_id=UUID(int=1),
        programme_id="CH-RKH",
        municipality="skopje",
        household=[HouseholdMember(age=30, sex=Sex.MALE, relationship=Relationship.PRINCIPAL)],
        needs=[Category.VOCATIONAL_TRAINING, Category.MICRO_BUSINESS],
        consent=dict.fromkeys(Category, True),
        training_wanted=["welding"],
        business_sector=BusinessSector.REPAIR,
        business_plan_stage=BusinessPlanStage.IDEA,
    )
    placements = plan_referrals(facts, Directory(partners=(employment,)), {}, NOW)
    assert [(p.category, p.status) for p in placements] == [
        (Category.VOCATIONAL_TRAINING, ReferralStatus.UNPLACED),
        (Category.MICRO_BUSINESS, ReferralStatus.UNPLACED),
    ]
