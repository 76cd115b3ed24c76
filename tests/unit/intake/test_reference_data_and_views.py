"""The catalogue read from deploy/config, plan rules against a programme, and what auditors see."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from services.intake.core import decisions
from services.intake.core.catalogue import load_catalogue
from services.intake.core.requests import PlanProposal, Registration
from services.intake.core.rules import plan_problems
from services.intake.core.views import case_for, redacted, summary_for
from shared.identity.model import Role, User
from shared.settings import Settings
from tests.unit.intake.samples import TODAY, catalogue, family


def test_the_catalogue_reads_countries_municipalities_and_programmes() -> None:
    reference = catalogue()
    assert reference.municipality_codes("MK")[:3] == ["skopje", "tetovo", "kumanovo"]
    assert reference.municipality_name("stip") == "Štip"
    assert set(reference.programmes) == {
        "DE-STARTHILFEPLUS",
        "NL-AVRR",
        "CH-RKH",
        "NO-VARP",
        "FI-AVRR",
        "BE-FEDASIL",
        "IT-RVAR",
    }
    assert reference.programme_currency("CH-RKH") == "CHF"
    assert reference.programme_currency("NO-VARP") == "NOK"
    assert reference.programme_currency("NOPE") is None
    assert reference.default_programme("NO") == "NO-VARP"
    assert reference.default_programme("AT") is None


@pytest.mark.parametrize(
    ("mapping", "refused"),
    [
        ('  "NO": NO-X\n', "not a programme in this file: NO: NO-X"),
        ("  NO: X-1\n", "quote the country code"),
        ('  "Norway": X-1\n', "sending_countries.Norway"),
    ],
)
def test_a_sending_country_map_naming_no_programme_stops_the_service(
    tmp_path: Path, mapping: str, refused: str
) -> None:
    (tmp_path / "municipalities.yaml").write_text(
        "countries:\n  MK:\n    name: North Macedonia\n    municipalities: [{code: ohrid, name: Ohrid}]\n"
    )
    (tmp_path / "donor-policies.yaml").write_text(
        "programmes:\n  - {id: X-1, name: Y}\nsending_countries:\n" + mapping
    )
    with pytest.raises(ValidationError, match=refused):
        load_catalogue(tmp_path)


def test_programme_entries_may_carry_whatever_grants_needs(tmp_path: Path) -> None:
    (tmp_path / "municipalities.yaml").write_text(
        "countries:\n  MK:\n    name: North Macedonia\n    municipalities: [{code: ohrid, name: Ohrid}]\n"
    )
    (tmp_path / "donor-policies.yaml").write_text(
        "programmes:\n  - id: X-1\n    name: Example\n    ceilings: {adult: 1}\n    installments: [50, 50]\n"
    )
    shutil.copy(Settings().config_dir / "monitoring.yaml", tmp_path / "monitoring.yaml")
    reference = load_catalogue(tmp_path)
    assert reference.programmes["X-1"].name == "Example"
    assert reference.programme_currency("X-1") is None  # then any currency Money accepts


def test_a_malformed_municipalities_file_stops_the_service(tmp_path: Path) -> None:
    (tmp_path / "municipalities.yaml").write_text(
        "countries:\n  MK:\n    name: North Macedonia\n    municipalities: []\n"
    )
    (tmp_path / "donor-policies.yaml").write_text("programmes:\n  - {id: X, name: Y}\n")
    with pytest.raises(ValidationError):
        load_catalogue(tmp_path)


def plan(*lines: tuple[str, int, str]) -> PlanProposal:
    return PlanProposal.model_validate(
        {
            "assistance": [
                {"assistance_type": t, "requested": {"amount": a, "currency": c}} for t, a, c in lines
            ]
        }
    )


def test_a_plan_is_in_the_programme_currency_with_one_line_per_type() -> None:
    reference = catalogue()
    assert plan_problems(plan(("cash", 100, "CHF")), "CH-RKH", reference) == []
    problems = plan_problems(plan(("cash", 100, "EUR"), ("cash", 5, "CHF")), "CH-RKH", reference)
    assert [(p.field, p.message) for p in problems] == [
        ("assistance.0.requested.currency", "programme CH-RKH pays in CHF, not EUR"),
        ("assistance.1.assistance_type", "each assistance type appears once in a plan"),
    ]


@pytest.mark.parametrize("amount", [0, -100, 1.5])
def test_requested_amounts_are_positive_whole_minor_units(amount: object) -> None:
    with pytest.raises(ValidationError):
        PlanProposal.model_validate(
            {"assistance": [{"assistance_type": "cash", "requested": {"amount": amount, "currency": "EUR"}}]}
        )


def test_an_auditor_sees_a_case_without_personal_data() -> None:
    now = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    assignment = decisions.first_assignment(uuid4(), True, None)
    case = decisions.register(Registration.model_validate(family()), uuid4(), uuid4(), now, assignment).case
    auditor = User(id=uuid4(), name="audit", role=Role.AUDITOR)
    finance = User(id=uuid4(), name="fin", role=Role.FINANCE)

    seen = case_for(auditor, case, TODAY)

    assert seen == redacted(case, TODAY)
    text = json.dumps(seen.model_dump(mode="json"))
    for member in case.members:
        assert member.name not in text
        assert member.date_of_birth.isoformat() not in text
    assert "P1234567" not in text
    assert "single_parent" not in text
    assert [m.age for m in seen.household] == [34, 9, 4]
    assert summary_for(auditor, case).principal_name is None
    assert summary_for(finance, case).principal_name == "Ana Petrovska"
    assert case_for(finance, case, TODAY) is case
