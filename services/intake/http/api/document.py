"""What intake's OpenAPI document says beyond the models' own schemas: the codes only the catalogue
knows (programmes, countries of return, municipalities, arrival points, the monitoring survey's
indicators and answers), written in when the app is created from
that catalogue, and the currencies `Money` accepts. The validation reads the same catalogue, so a
code the document does not list is refused, and one it lists is known."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.intake.core.catalogue import Catalogue
from services.intake.core.formats import any_case
from shared.money import MINOR_UNITS


def describe_catalogue(app: FastAPI, catalogue: Catalogue) -> None:
    """Extend `app`'s (truthful, shared) OpenAPI document with the catalogue's codes."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with_codes(build(), catalogue)
        return build()

    app.openapi = openapi  # type: ignore[method-assign]


def with_codes(document: dict[str, Any], catalogue: Catalogue) -> None:
    schemas = document["components"]["schemas"]
    registration = schemas["Registration"]["properties"]
    registration["programme_id"] = {"type": "string", "enum": sorted(catalogue.programmes)}
    # read as typed, trimmed and upper-cased, then looked up (`requests.Registration`)
    registration["country_of_return"] = {"type": "string", "pattern": any_case(sorted(catalogue.countries))}
    # any municipality of the catalogue; that it lies in the country of return is a rule across fields
    municipalities = {
        code for country in catalogue.countries for code in catalogue.municipality_codes(country)
    }
    registration["municipality"] = {"type": "string", "enum": sorted(municipalities)}
    # an announcement names the same codes, and an arrival point (a trip's, when it is rescheduled)
    announcement = schemas["Announcement"]["properties"]
    for name in ("programme_id", "country_of_return", "municipality"):
        announcement[name] = registration[name]
    points = {"type": "string", "enum": sorted(catalogue.arrival_points)}
    announcement["arrival_point"] = points
    schemas["Reschedule"]["properties"]["arrival_point"] = points
    schemas["Money"]["properties"]["currency"] = {"type": "string", "enum": sorted(MINOR_UNITS)}
    if catalogue.survey is not None and "VisitReport" in schemas:
        # a visit answers every indicator of the survey, each with one of its answer codes
        schemas["VisitReport"]["properties"]["answers"] = {
            "type": "object",
            "properties": {
                i.code: {"type": "string", "enum": list(i.answers)} for i in catalogue.survey.indicators
            },
            "required": [i.code for i in catalogue.survey.indicators],
            "additionalProperties": False,
        }
