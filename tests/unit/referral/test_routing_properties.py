"""Routing's guarantees, checked over generated cases, directories and loads (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from services.referral.core.directory import AgeGroup, Directory, Eligibility, Partner, Service
from services.referral.core.payloads import PAYLOAD_FIELDS
from services.referral.core.routing import is_eligible, plan_referrals
from shared.events import Category, ReferralStatus, Relationship, Sex, Vulnerability
from shared.events.intake import CaseFacts, HouseholdMember, WorkExperience

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LoadMap = dict[tuple[str, Category], int]
MUNICIPALITIES = ["skopje", "bitola", "ohrid", "tetovo"]
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
)

eligibilities = st.builds(
    Eligibility,
    age_group=st.sampled_from(AgeGroup),
    sex=st.none() | st.sampled_from(Sex),
    requires_any_of=st.lists(st.sampled_from(Vulnerability), max_size=2, unique=True).map(tuple),
)


@st.composite
def directories(draw: st.DrawFn) -> Directory:
    ids = draw(st.lists(st.sampled_from(PARTNER_IDS), min_size=1, max_size=len(PARTNER_IDS), unique=True))
    partners = [
        Partner(
            id=partner_id,
            name=partner_id,
            municipalities=tuple(draw(st.lists(st.sampled_from(MUNICIPALITIES), min_size=1, unique=True))),
            categories=draw(
                st.dictionaries(
                    st.sampled_from(Category),
                    st.builds(Service, capacity=st.integers(0, 3), deadline_hours=st.integers(1, 200)),
                    min_size=1,
                )
            ),
            eligibility=draw(eligibilities),
        )
        for partner_id in ids
    ]
    return Directory(partners=tuple(partners))


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
        assert partner.covers(facts.municipality)
        assert is_eligible(partner, placement.category, facts)
        assert (
            loads.get((partner.id, placement.category), 0) < partner.categories[placement.category].capacity
        )
        assert partner.id not in excluded.get(placement.category, set())


@given(case_facts, directories(), loads_strategy)
def test_a_payload_holds_only_its_category_fields_and_never_a_vulnerability(
    facts: CaseFacts, directory: Directory, loads: LoadMap
) -> None:
    for placement in plan_referrals(facts, directory, loads, NOW):
        assert set(placement.payload) <= PAYLOAD_FIELDS[placement.category]
        text = json.dumps(placement.payload)
        assert "vulnerab" not in text
        assert not [v for v in Vulnerability if v.value in text]


@given(case_facts, directories(), loads_strategy)
def test_no_referral_without_consent_and_one_decision_per_needed_category(
    facts: CaseFacts, directory: Directory, loads: LoadMap
) -> None:
    placements = plan_referrals(facts, directory, loads, NOW)
    assert sorted(p.category for p in placements) == sorted(set(facts.needs))
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
    assert plan_referrals(facts, Directory(partners=tuple(shuffled)), loads, NOW) == first


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
