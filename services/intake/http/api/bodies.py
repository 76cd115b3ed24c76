"""JSON bodies that intake validates itself (not FastAPI), so that field problems and the rules
across fields come back together in one 422; and what the routes' parameters are read as."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.intake.core.validation import Invalid, Problem

# a query parameter PostgreSQL can compare: any text without NUL
NO_NUL = r"^[^\x00]*$"


async def json_of(request: Request) -> Any:
    """The request's JSON (None for an empty body); a body that is not JSON is a 422."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return await request.json()
    except ValueError:
        raise Invalid([Problem(("body",), "the body is not valid JSON")]) from None
