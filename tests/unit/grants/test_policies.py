"""Donor policies as data: the demo file loads, a bad file is refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.grants.core.policies import PaidTo, PolicyFileError, load_policies, parse_policies
from shared.events.codes import AssistanceType, Milestone
from shared.money import Money

from .builders import DEMO_POLICIES, demo_policies


def test_the_demo_file_holds_a_programme_per_donor_government_each_in_its_currency() -> None:
    policies = demo_policies()
    assert {p.id: (p.donor, p.currency) for p in policies.programmes} == {
        "DE-STARTHILFEPLUS": ("Federal Republic of Germany", "EUR"),
        "NL-AVRR": ("Kingdom of the Netherlands", "EUR"),
        "CH-RKH": ("Swiss Confederation", "CHF"),
        "NO-VARP": ("Kingdom of Norway", "NOK"),
        "FI-AVRR": ("Republic of Finland", "EUR"),
        "BE-FEDASIL": ("Kingdom of Belgium", "EUR"),
        "IT-RVAR": ("Italian Republic", "EUR"),
    }
    assert all(p.name for p in policies.programmes)
    # each donor's country sends to its own programme
    assert policies.sending_countries == {
        "CH": "CH-RKH",
        "FI": "FI-AVRR",
        "NO": "NO-VARP",
        "BE": "BE-FEDASIL",
        "DE": "DE-STARTHILFEPLUS",
        "IT": "IT-RVAR",
        "NL": "NL-AVRR",
    }


def test_the_file_says_its_figures_are_illustrative_for_every_programme() -> None:
    text = DEMO_POLICIES.read_text()
    assert "ALL FIGURES ARE ILLUSTRATIVE" in text
    for programme in ("NO-VARP", "FI-AVRR", "BE-FEDASIL", "IT-RVAR"):
        before = text[: text.index(f"id: {programme}")]
        assert "ILLUSTRATIVE FIGURES" in before[before.rindex("\n\n") :], programme


def test_starthilfeplus_is_two_halves_the_second_180_days_after_arrival() -> None:
    de = demo_policies().programme("DE-STARTHILFEPLUS")
    assert [(p.share, p.milestone, p.days) for p in de.installments] == [
        (50, Milestone.ON_APPROVAL, None),
        (50, Milestone.DAYS_AFTER_ARRIVAL, 180),
    ]
    assert de.money(de.ceilings.per_child) == Money(amount=50_000, currency="EUR")
    assert de.ceilings.child_age_limit == 12
    assert (de.money(de.ceilings.household_supplement), de.ceilings.household_supplement_above) == (
        Money(amount=50_000, currency="EUR"),
        4,
    )


def test_the_dutch_programme_pays_suppliers_and_caps_cash() -> None:
    nl = demo_policies().programme("NL-AVRR")
    assert nl.funds[AssistanceType.IN_KIND].paid_to is PaidTo.SUPPLIER
    assert nl.cash_cap is not None
    assert nl.money(nl.cash_cap) == Money(amount=30_000, currency="EUR")
    assert nl.money(nl.ceilings.per_child) == Money(amount=280_000, currency="EUR")


def test_the_swiss_programme_is_in_chf_with_a_business_plan_milestone() -> None:
    ch = demo_policies().programme("CH-RKH")
    assert ch.currency == "CHF"
    assert [p.milestone for p in ch.plan_for(AssistanceType.MICRO_BUSINESS)] == [
        Milestone.BUSINESS_PLAN_VERIFIED
    ]


def _demo_with(change) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEMO_POLICIES.read_text())
    change(data["programmes"][0])
    return yaml.safe_dump(data)


def _file_with(change) -> str:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEMO_POLICIES.read_text())
    change(data)
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            _file_with(lambda d: d["sending_countries"].update(AT="AT-RETURN")),
            "not a programme in this file: AT",
        ),
        (_file_with(lambda d: d["sending_countries"].update(Norway="NO-VARP")), "sending_countries.Norway"),
        # YAML 1.1 reads a bare NO as false: said so, not "Input should be a valid string"
        (DEMO_POLICIES.read_text().replace('"NO": NO-VARP', "NO: NO-VARP"), "quote the country code"),
        (_demo_with(lambda p: p["funds"].update(cash={"requires_need": True})), "cash pays for no referral"),
        (
            _demo_with(
                lambda p: p.update(
                    cash_per_person={"per_adult": "1.00", "per_child": "1.00"}, funds={"housing": {}}
                )
            ),
            "cash_per_person is set but the programme does not fund cash",
        ),
        (_demo_with(lambda p: p["ceilings"].update(household_max="1.001")), "ceilings.household_max: 1.001"),
    ],
)
def test_a_bad_sending_country_map_or_programme_rule_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(PolicyFileError) as refused:
        parse_policies(text, "donor-policies.yaml")
    assert named in str(refused.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda p: p["ceilings"].update(per_adult=1000.5), "programmes.0.ceilings.per_adult"),
        (lambda p: p["ceilings"].update(per_adult=1000), "programmes.0.ceilings.per_adult"),
        (lambda p: p["ceilings"].update(per_adult="10.005"), "ceilings.per_adult: 10.005 has more decimals"),
        (lambda p: p.update(currency="EURO"), "programmes.0.currency"),
        (lambda p: p["installments"][1].update(share=40), "programmes.0.installments"),
        (lambda p: p["installments"][1].pop("days"), "programmes.0.installments.1"),
        (lambda p: p["funds"].update(lottery={}), "programmes.0.funds.lottery"),
        (lambda p: p["funds"].update(micro_business={"beyond_ceiling": True}), "funds.micro_business"),
        (lambda p: p.pop("donor"), "programmes.0.donor"),
        (lambda p: p.update(cash_cap="300.00", funds={"housing": {}}), "cash_cap"),
        (lambda p: p.update(id="CH-RKH"), "repeated: CH-RKH"),
        # outcome milestones: their terms, and a visit the monitoring schedule has
        (
            lambda p: p["installments"].append({"share": 10, "milestone": "monitoring_visit"}),
            "a monitoring_visit part needs `visit`",
        ),
        (
            lambda p: p["installments"][1].update(milestone="referral_completed", days=None),
            "a referral_completed part needs `category`",
        ),
        (
            lambda p: p["installments"][1].update(category="housing"),
            "`category` only goes with referral_completed",
        ),
        (
            lambda p: p["installments"][1].update(
                milestone="business_operating", days=None, min_composite=0.5
            ),
            "`min_composite` only goes with monitoring_visit",
        ),
        (
            lambda p: p["installments"][1].update(
                milestone="monitoring_visit", days=None, visit=2, min_composite=1.5
            ),
            "programmes.0.installments.1.min_composite",
        ),
        (
            lambda p: p["installments"][1].update(milestone="monitoring_visit", days=None, visit=3),
            "waits for monitoring visit 3, but the programme's monitoring schedule has 2 visit(s)",
        ),
        (lambda p: p.update(monitoring={"visits_after_months": [6, 3]}), "programmes.0.monitoring"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(change, named) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyFileError) as refused:
        parse_policies(_demo_with(change), "donor-policies.yaml")
    assert named in str(refused.value)
    assert str(refused.value).startswith("donor-policies.yaml: ")


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="the file is missing"):
        load_policies(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("programmes: [\n")
    with pytest.raises(PolicyFileError, match="not valid YAML"):
        load_policies(broken)
