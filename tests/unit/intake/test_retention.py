"""The retention periods (deploy/config/retention.yaml), validated when intake starts: a bad file
stops it, naming the field; a programme without a period is refused (it would be kept forever)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.intake.app import create_app
from services.intake.core.retention import RetentionError, load_retention
from shared.settings import Settings
from tests.unit.intake.samples import CONFIG_DIR, catalogue

PROGRAMMES = set(catalogue().programmes)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "retention.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_gives_every_programme_a_period() -> None:
    retention = load_retention(CONFIG_DIR / "retention.yaml", PROGRAMMES)
    assert set(retention.programmes) == PROGRAMMES
    closed = datetime(2025, 1, 31, tzinfo=UTC)
    days = retention.programmes["DE-STARTHILFEPLUS"].days_after_closure
    assert not retention.due(
        "DE-STARTHILFEPLUS", closed, closed + timedelta(days=days) - timedelta(seconds=1)
    )
    assert retention.due("DE-STARTHILFEPLUS", closed, closed + timedelta(days=days))


def periods(**days: object) -> str:
    """A retention file giving each programme (underscores for hyphens) its entry."""
    every = {"DE_STARTHILFEPLUS": 10, "NL_AVRR": 10, "CH_RKH": 10, **days}
    lines = ["programmes:"]
    for programme, value in every.items():
        if value is not None:
            entry = value if isinstance(value, str) else f"{{days_after_closure: {value}}}"
            lines.append(f"  {programme.replace('_', '-')}: {entry}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (periods(CH_RKH=None), "programmes.CH-RKH: missing"),
        (
            periods(NL_AVRR=0),
            "programmes.NL-AVRR.days_after_closure: Input should be greater than or equal to 1",
        ),
        (
            periods(DE_STARTHILFEPLUS="{days_after_closure: ten}"),
            "programmes.DE-STARTHILFEPLUS.days_after_closure",
        ),
        (
            periods(DE_STARTHILFEPLUS="{days: 10}"),
            "programmes.DE-STARTHILFEPLUS.days: Extra inputs are not permitted",
        ),
        (periods(XX_UNKNOWN=10), "programmes.XX-UNKNOWN: not a programme in donor-policies.yaml"),
        ("programmes: [\n", "not valid YAML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_field(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(RetentionError, match=r"retention\.yaml") as refused:
        load_retention(write(tmp_path, text), PROGRAMMES)
    assert named in str(refused.value)


def test_intake_does_not_start_with_a_bad_file(tmp_path: Path) -> None:
    for name in ("municipalities.yaml", "donor-policies.yaml", "monitoring.yaml"):
        shutil.copy(CONFIG_DIR / name, tmp_path / name)
    with pytest.raises(RetentionError, match="the file is missing"):
        create_app(Settings(config_dir=tmp_path))
    write(tmp_path, periods(CH_RKH=None))
    with pytest.raises(RetentionError, match=r"programmes\.CH-RKH: missing"):
        create_app(Settings(config_dir=tmp_path))
