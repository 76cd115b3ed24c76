"""Each programme's monitoring schedule, read from the donor policies (`monitoring:
visits_after_months`): the months after arrival a visit falls due. Only that part of the file is
read here; grants validates the policies as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

POLICY_FILE = "donor-policies.yaml"


class _Monitoring(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visits_after_months: list[int] = Field(default_factory=list)


class _Programme(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    monitoring: _Monitoring | None = None


class _Policies(BaseModel):
    model_config = ConfigDict(extra="ignore")

    programmes: list[_Programme]


def monitoring_schedules(document: Any) -> Mapping[str, tuple[int, ...]]:
    """programme id -> its schedule (sorted months); a programme without one maps to ()."""
    policies = _Policies.model_validate(document)
    return {
        p.id: tuple(sorted(set(p.monitoring.visits_after_months))) if p.monitoring else ()
        for p in policies.programmes
    }
