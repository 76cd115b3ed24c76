"""The partner ids of referral's directory (`partners.yaml` in the config folder), for what outside
referral must check a partner id against — an admin binding a `partner` user to one. Referral
itself validates the whole file (services/referral/core/directory.py); this reads the ids only."""

from __future__ import annotations

from pathlib import Path

import yaml

PARTNERS_FILE = "partners.yaml"


def partner_ids(config_dir: Path, file_name: str = PARTNERS_FILE) -> frozenset[str]:
    """Every partner id the directory names (none while the file does not exist)."""
    path = config_dir / file_name
    if not path.exists():
        return frozenset()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return frozenset(str(partner["id"]) for partner in document.get("partners") or [] if "id" in partner)
