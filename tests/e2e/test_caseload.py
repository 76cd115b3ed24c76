"""The demo's generated caseload (pure, no infrastructure): seeded, in the proportions it promises,
and made of households intake's rules accept (one principal, a single parent without a spouse, an
unaccompanied minor alone, nobody listed twice)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from homeward.demo.caseload import MUNICIPALITIES, PROGRAMMES, caseload
from homeward.demo.progress import bar
from services.grants.core.policies import load_policies

REPO = Path(__file__).resolve().parents[2]

TODAY = date(2025, 6, 15)


def age(member: dict[str, str]) -> int:
    born = date.fromisoformat(member["date_of_birth"])
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def test_the_same_seed_makes_the_same_caseload() -> None:
    assert caseload(30, 5, TODAY) == caseload(30, 5, TODAY)
    assert caseload(30, 5, TODAY) != caseload(30, 6, TODAY)


def test_vulnerabilities_come_in_realistic_proportions() -> None:
    cases = caseload(3000, 1, TODAY)
    share = Counter(v for c in cases for v in c.registration["vulnerabilities"])
    expected = {
        "unaccompanied_minor": 0.05,
        "victim_of_trafficking": 0.08,
        "single_parent": 0.20,
        "medical_condition": 0.15,
    }
    for vulnerability, proportion in expected.items():
        assert share[vulnerability] / len(cases) == pytest.approx(proportion, abs=0.035), vulnerability
    assert {c.registration["municipality"] for c in cases} == set(MUNICIPALITIES)
    assert {c.programme.id for c in cases} == {p.id for p in PROGRAMMES}
    singles = sum(len(c.registration["members"]) == 1 for c in cases)
    assert 0.4 < singles / len(cases) < 0.65


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_household_keeps_intakes_rules(seed: int) -> None:
    for case in caseload(500, seed, TODAY):
        members, flags = case.registration["members"], set(case.registration["vulnerabilities"])
        relationships = Counter(m["relationship"] for m in members)
        ages = [age(m) for m in members]
        assert relationships["principal"] == 1
        assert members[0]["relationship"] == "principal"
        assert relationships["spouse"] <= 1
        assert len({m["name"] for m in members}) == len(members)
        for member, years in zip(members, ages, strict=True):
            if member["relationship"] == "child":
                assert member["date_of_birth"] > members[0]["date_of_birth"]
            assert 0 <= years <= 120
        if "unaccompanied_minor" in flags:
            assert len(members) == 1
            assert ages[0] < 18
        else:
            assert max(ages) >= 18
        if "single_parent" in flags:
            assert relationships["child"] >= 1
            assert relationships["spouse"] == 0
        if "elderly" in flags:
            assert max(ages) >= 60
        assert case.registration["sending_country"] == case.programme.sending_country
        assert set(case.registration["consent"]) == set(case.needs)
        if case.plan is not None:
            currencies = {line["requested"]["currency"] for line in case.plan["assistance"]}
            assert currencies == {case.programme.currency}
            kinds = [line["assistance_type"] for line in case.plan["assistance"]]
            assert len(kinds) == len(set(kinds))
            assert all(line["requested"]["amount"] > 0 for line in case.plan["assistance"])


def test_the_progress_bar() -> None:
    assert bar(0, 200, "cases", width=10) == "[..........] 0/200 cases"
    assert bar(120, 200, "cases", width=10) == "[######....] 120/200 cases"
    assert bar(200, 200, "cases", width=10) == "[##########] 200/200 cases"


def test_the_caseload_needs_every_service_and_says_what_training_and_business_partners_need() -> None:
    cases = caseload(1000, 3, TODAY)
    needed = {n for c in cases for n in c.needs}
    assert needed == {"housing", "education", "employment", "medical", "counselling", "vocational_training",
                      "micro_business"}  # fmt: skip
    for case in cases:
        details = case.assessment or {}
        assert bool(details.get("training_wanted")) == ("vocational_training" in details.get("needs", []))
        business = {"business_sector", "business_plan_stage"} & set(details)
        assert bool(business) == ("micro_business" in details.get("needs", []))
    # some registrations leave the programme to the sending country's default: always the same one
    unnamed = [c for c in cases if "programme_id" not in c.registration]
    assert 0.15 < len(unnamed) / len(cases) < 0.35
    assert {c.programme.id for c in unnamed} == {p.id for p in PROGRAMMES}


def test_each_demo_programme_is_the_default_of_its_sending_country_and_a_donor_policy() -> None:
    policies = load_policies(REPO / "deploy" / "config" / "donor-policies.yaml")
    assert {p.id: p.sending_country for p in PROGRAMMES} == {
        programme: country for country, programme in policies.sending_countries.items()
    }
    assert {p.id: p.currency for p in PROGRAMMES} == {p.id: p.currency for p in policies.programmes}
