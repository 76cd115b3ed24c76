"""Query parameters read as strictly as the OpenAPI document declares them.

Every API router refuses a query parameter its operation does not know (`Depends(known_query_only)`
as a router dependency): a misspelt filter would otherwise be ignored, and an answer silently
widened — an auditor's `?programe=A` would list every programme.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from .problems import FieldProblem, pointer, validation_error


def _query_names(dependant: Dependant) -> set[str]:
    names = {parameter.alias for parameter in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


# each route's query parameter names, worked out once and kept on the route itself (a route is
# unhashable, and keyed by id() a route of an app since gone could answer for a new one)
_KNOWN = "_homeward_query_names"


async def known_query_only(request: Request) -> None:
    """An operation that takes query parameters refuses one it does not know: a misspelt filter
    would otherwise be ignored, and the answer silently widened. `async`, though it awaits nothing:
    FastAPI runs a plain `def` dependency in a worker thread, a thread hand-off on every request."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known: frozenset[str] | None = getattr(route, _KNOWN, None)
    if known is None:
        known = frozenset(_query_names(route.dependant))
        setattr(route, _KNOWN, known)
    unknown = sorted(set(request.query_params) - known) if known else []
    if unknown:
        raise validation_error(
            [
                FieldProblem(in_="query", pointer=pointer([name]), detail="not a parameter of this operation")
                for name in unknown
            ]
        )
