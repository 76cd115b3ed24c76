"""A bad policy file stops the service at start-up, naming the field, before it touches anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.grants.app import create_app
from services.grants.core.policies import PolicyFileError
from shared.settings import Settings

from .builders import DEMO_POLICIES


def test_a_bad_policy_file_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "donor-policies.yaml").write_text(
        DEMO_POLICIES.read_text().replace(
            'per_child: "500.00"          # children under 12', "per_child: 500.5  #"
        )
    )
    # nothing listens there: the start must fail on the file before it reaches for the infrastructure
    settings = Settings(config_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(
        PolicyFileError, match=r"programmes\.0\.ceilings\.per_child: Value error, write an amount"
    ):
        create_app(settings)
