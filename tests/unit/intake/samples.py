"""Registrations the intake tests share: a family, a single returnee, an unaccompanied minor."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from services.intake.core.catalogue import Catalogue, load_catalogue
from services.intake.core.validation import Checks

CONFIG_DIR = Path(__file__).resolve().parents[3] / "deploy" / "config"
TODAY = date(2025, 6, 15)


def catalogue() -> Catalogue:
    return load_catalogue(CONFIG_DIR)


def checks(today: date = TODAY) -> Checks:
    return Checks(catalogue(), today)


def years_ago(years: int, today: date = TODAY, days: int = 0) -> str:
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def family(
    name: str = "Ana Petrovska", today: date = TODAY, document: str = "P1234567", **overrides: Any
) -> dict[str, Any]:
    """A mother with two children, returning from Germany to Skopje."""
    data: dict[str, Any] = {
        "members": [
            {
                "name": name,
                "date_of_birth": years_ago(34, today),
                "sex": "female",
                "relationship": "principal",
                "identity_document": {"type": "passport", "number": document},
            },
            {
                "name": "Marko Petrovski",
                "date_of_birth": years_ago(9, today),
                "sex": "male",
                "relationship": "child",
            },
            {
                "name": "Elena Petrovska",
                "date_of_birth": years_ago(4, today),
                "sex": "female",
                "relationship": "child",
            },
        ],
        "programme_id": "DE-STARTHILFEPLUS",
        "country_of_return": "MK",
        "municipality": "skopje",
        "sending_country": "DE",
        "arrival_date": (today - timedelta(days=2)).isoformat(),
        "vulnerabilities": ["single_parent"],
        "needs": ["housing", "education"],
        "consent": {"housing": True, "education": True, "medical": False},
    }
    data.update(overrides)
    return data


def single(
    name: str = "Bekim Ramadani", today: date = TODAY, document: str = "A7654321", **overrides: Any
) -> dict[str, Any]:
    data = family(name, today, document=document, **overrides)
    data["members"] = data["members"][:1]
    data["members"][0] |= {"sex": "male", "date_of_birth": years_ago(41, today)}
    data.setdefault("vulnerabilities", [])
    if "vulnerabilities" not in overrides:
        data["vulnerabilities"] = []
    return data


def unaccompanied_minor(today: date = TODAY) -> dict[str, Any]:
    data = single("Driton Berisha", today, vulnerabilities=["unaccompanied_minor"])
    data["members"][0] |= {"date_of_birth": years_ago(16, today), "identity_document": None}
    return data
