"""The partner directory: the demo file is sound, and a bad file names the line and field at fault."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from services.referral.core.directory import (
    DirectoryError,
    load_arrival_points,
    load_directory,
    load_municipalities,
)
from shared.events import Category
from shared.events.codes import ARRIVAL_CATEGORIES
from shared.settings import Settings

CONFIG = Settings.model_fields["config_dir"].default
MUNICIPALITIES = load_municipalities(CONFIG / "municipalities.yaml")
ARRIVAL_POINTS = load_arrival_points(CONFIG / "arrival-points.yaml")

GOOD_PARTNER = """\
partners:
  - id: good-partner
    name: Good Partner
    municipalities: [skopje]
    categories:
      housing: {capacity: 3, deadline_hours: 48}
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "partners.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return load_directory(path, MUNICIPALITIES, ARRIVAL_POINTS)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_the_demo_directory_loads_with_three_partners_or_more_per_category() -> None:
    directory = load_directory(CONFIG / "partners.yaml", MUNICIPALITIES)
    for category in Category:
        serving = [p.id for p in directory.partners if p.serves(category)]
        assert len(serving) >= 3, f"{category}: {serving}"


def test_every_demo_municipality_has_a_partner_for_every_category_without_a_vulnerability_rule() -> None:
    directory = load_directory(CONFIG / "partners.yaml", MUNICIPALITIES)
    for municipality in MUNICIPALITIES:
        for category in set(Category) - ARRIVAL_CATEGORIES:
            general = [
                p.id
                for p in directory.partners
                if p.serves(category) and p.covers(municipality) and not p.eligibility.requires_any_of
            ]
            assert general, f"nobody serves {category} in {municipality}"


def test_every_demo_arrival_point_has_reception_and_transport_to_every_municipality() -> None:
    directory = load_directory(CONFIG / "partners.yaml", MUNICIPALITIES)
    points = load_arrival_points(CONFIG / "arrival-points.yaml")
    assert set(points) == {"SKP", "OHD", "TABANOVCE", "BOGORODICA", "KAFASAN"}
    for point in points:
        for municipality in MUNICIPALITIES:
            for category in ARRIVAL_CATEGORIES:
                serving = [
                    p.id
                    for p in directory.partners
                    if p.serves(category) and p.covers_trip(category, point, municipality)
                ]
                assert serving, f"nobody serves {category} from {point} to {municipality}"


def test_a_reception_partner_must_name_its_arrival_points_and_they_must_be_known(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
partners:
  - id: gate-team
    name: Gate Team
    categories:
      airport_reception: {capacity: 3, deadline_hours: 24}
  - id: far-away-transfers
    name: Far Away Transfers
    arrival_points: [SKP, XXX]
    municipalities: [skopje]
    categories:
      transport: {capacity: 3, deadline_hours: 24}
""",
    )
    assert any("airport_reception: name the arrival points" in p for p in found), found
    assert any("'XXX' is not an arrival point code" in p for p in found), found


def test_a_good_file_loads(tmp_path: Path) -> None:
    directory = load(tmp_path, GOOD_PARTNER)
    assert directory.ids() == ["good-partner"]  # type: ignore[attr-defined]


def test_an_unknown_municipality_is_reported_on_its_line_with_its_index(tmp_path: Path) -> None:
    text = """\
    partners:
      - id: good-partner
        name: Good Partner
        municipalities:
          - skopje
          - skopie
        categories:
          housing: {capacity: 3, deadline_hours: 48}
    """
    assert problems(tmp_path, text) == [
        "line 6: partners[0].municipalities[1]: Value error, 'skopie' is not a municipality code in "
        "municipalities.yaml"
    ]


def test_a_missing_field_points_at_the_partner_it_is_missing_from(tmp_path: Path) -> None:
    text = GOOD_PARTNER + (
        "  - id: nameless\n"
        "    municipalities: [tetovo]\n"
        "    categories: {medical: {capacity: 1, deadline_hours: 24}}\n"
    )
    assert problems(tmp_path, text) == ["line 7: partners[1].name: Field required"]


def test_a_bad_value_deep_in_the_file_names_its_line_and_path(tmp_path: Path) -> None:
    text = GOOD_PARTNER.replace("capacity: 3", "capacity: -2")
    assert problems(tmp_path, text) == [
        "line 6: partners[0].categories.housing.capacity: Input should be greater than or equal to 0"
    ]


def test_an_unknown_category_is_reported_at_its_key(tmp_path: Path) -> None:
    text = GOOD_PARTNER + "      shelter: {capacity: 1, deadline_hours: 24}\n"
    [problem] = problems(tmp_path, text)
    assert problem.startswith("line 7: partners[0].categories.shelter (key): Input should be 'housing'")


def test_an_id_unusable_in_a_topic_name_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD_PARTNER.replace("id: good-partner", "id: Good Partner"))
    assert problem.startswith("line 2: partners[0].id: String should match pattern")


def test_an_id_that_reads_like_a_topic_version_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD_PARTNER.replace("id: good-partner", "id: v1"))
    assert (
        problem == "line 2: partners[0].id: Value error, 'v1' reads like a topic version: choose another id"
    )


def test_a_misspelt_field_is_refused_not_ignored(tmp_path: Path) -> None:
    text = GOOD_PARTNER + "    eligibility: {age_grup: minors}\n"
    assert problems(tmp_path, text) == [
        "line 7: partners[0].eligibility.age_grup: Extra inputs are not permitted"
    ]


def test_duplicate_partner_ids_and_duplicate_keys_are_both_reported(tmp_path: Path) -> None:
    text = GOOD_PARTNER + (
        "  - id: good-partner\n"
        "    name: Twin\n"
        "    name: Twin again\n"
        "    municipalities: [ohrid]\n"
        "    categories: {counselling: {capacity: 1, deadline_hours: 24}}\n"
    )
    assert problems(tmp_path, text) == [
        "line 7: partners[1].id: duplicate partner id 'good-partner'",
        "line 9: partners[1].name: duplicate key",
    ]


def test_every_problem_is_reported_at_once_and_the_message_names_the_file(tmp_path: Path) -> None:
    text = GOOD_PARTNER.replace("[skopje]", "[atlantis]").replace("deadline_hours: 48", "deadline_hours: 0")
    with pytest.raises(DirectoryError) as caught:
        load(tmp_path, text)
    message = str(caught.value)
    assert f"{tmp_path / 'partners.yaml'}:line 4: partners[0].municipalities[0]" in message
    assert f"{tmp_path / 'partners.yaml'}:line 6: partners[0].categories.housing.deadline_hours" in message


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    text = GOOD_PARTNER + "  - id: [unclosed\n"
    [problem] = problems(tmp_path, text)
    assert problem.startswith("line 8: <yaml>:")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "# nothing yet\n") == ["line 1: partners: the file is empty"]
