"""The reference data a case is checked against: countries of return with their municipalities,
the arrival points (airports and border crossings), the donor programmes, and each sending
country's default programme. All are YAML files in `deploy/config/`, owned by operations, not code."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from services.intake.core.monitoring import MONITORING_FILE, MonitoringSchedule, Survey, load_survey

MUNICIPALITIES_FILE = "municipalities.yaml"
PROGRAMMES_FILE = "donor-policies.yaml"
ARRIVAL_POINTS_FILE = "arrival-points.yaml"


class Municipality(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str


class Country(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    municipalities: list[Municipality] = Field(min_length=1)


class ArrivalPointKind(StrEnum):
    AIRPORT = "airport"
    BORDER_CROSSING = "border_crossing"


class ArrivalPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{2,19}$")
    name: str = Field(min_length=1)
    kind: ArrivalPointKind
    country: str = Field(pattern=r"^[A-Z]{2}$")
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/Skopje") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Programme(BaseModel):
    """Intake reads a programme's id and name, and its currency when the file gives one (a plan's
    amounts are requested in it); the rest of the entry belongs to grants and is ignored here."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    currency: str | None = None
    # when its returnees are visited (issue 14); none: the programme does not monitor
    monitoring: MonitoringSchedule | None = None


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    countries: dict[str, Country]
    programmes: dict[str, Programme]
    # sending country -> the programme a return from there belongs to when none is named
    sending_countries: dict[str, str] = {}
    # the reintegration sustainability survey monitoring visits record (monitoring.yaml)
    survey: Survey | None = None
    arrival_points: dict[str, ArrivalPoint] = {}

    def arrival_point_codes(self, country: str) -> list[str]:
        return [p.code for p in self.arrival_points.values() if p.country == country]

    def municipality_codes(self, country: str) -> list[str]:
        found = self.countries.get(country)
        return [m.code for m in found.municipalities] if found else []

    def municipality_name(self, code: str) -> str:
        for country in self.countries.values():
            for municipality in country.municipalities:
                if municipality.code == code:
                    return municipality.name
        return code

    def default_programme(self, sending_country: str) -> str | None:
        """The programme of returns from `sending_country` when a registration names none."""
        return self.sending_countries.get(sending_country)

    def programme_currency(self, programme_id: str) -> str | None:
        programme = self.programmes.get(programme_id)
        return programme.currency if programme else None


def _country_code(value: Any) -> Any:
    if isinstance(value, bool):  # YAML 1.1 reads a bare NO (Norway), or Y and N, as a boolean
        raise ValueError(f'quote the country code: YAML read it as {str(value).lower()} (write "NO")')
    return value


SendingCountry = Annotated[str, BeforeValidator(_country_code), Field(pattern=r"^[A-Z]{2}$")]


class _ProgrammesFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    programmes: list[Programme] = Field(min_length=1)
    sending_countries: dict[SendingCountry, str] = {}

    @model_validator(mode="after")
    def _defaults_are_programmes(self) -> Self:
        known = {p.id for p in self.programmes}
        unknown = sorted(f"{c}: {p}" for c, p in self.sending_countries.items() if p not in known)
        if unknown:
            raise ValueError(f"sending_countries: not a programme in this file: {', '.join(unknown)}")
        return self


class _MunicipalitiesFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    countries: dict[str, Country] = Field(min_length=1)


class _ArrivalPointsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrival_points: list[ArrivalPoint] = Field(min_length=1)


def load_catalogue(config_dir: Path) -> Catalogue:
    """Read and validate the files; a malformed file stops the service at start-up. A deployment
    without an arrival points file takes no announcements (every arrival point is unknown)."""
    municipalities = _MunicipalitiesFile.model_validate(
        yaml.safe_load((config_dir / MUNICIPALITIES_FILE).read_text(encoding="utf-8"))
    )
    programmes = _ProgrammesFile.model_validate(
        yaml.safe_load((config_dir / PROGRAMMES_FILE).read_text(encoding="utf-8"))
    )
    points: list[ArrivalPoint] = []
    if (config_dir / ARRIVAL_POINTS_FILE).exists():
        points = _ArrivalPointsFile.model_validate(
            yaml.safe_load((config_dir / ARRIVAL_POINTS_FILE).read_text(encoding="utf-8"))
        ).arrival_points
    unknown = sorted({p.country for p in points} - set(municipalities.countries))
    if unknown:
        raise ValueError(
            f"{ARRIVAL_POINTS_FILE}: arrival points in countries not in {MUNICIPALITIES_FILE}: {unknown}"
        )
    if len({p.code for p in points}) != len(points):
        raise ValueError(f"{ARRIVAL_POINTS_FILE}: an arrival point code is listed twice")
    return Catalogue(
        countries=municipalities.countries,
        programmes={p.id: p for p in programmes.programmes},
        sending_countries=programmes.sending_countries,
        survey=load_survey(config_dir / MONITORING_FILE),
        arrival_points={p.code: p for p in points},
    )
