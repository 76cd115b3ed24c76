"""Scopes fail closed for every role, and a role new to Homeward is let in nowhere it was not named.

Every route of the four services is walked (as FastAPI itself walks included routers) and each
that knows who is calling must name the roles it lets in (`require_roles`, `page_user`); the
`partner` role — a partner organisation's staff — is named only by referral's partner portal. A
route that authenticated the caller without naming roles would let in every role, a partner's
staff too, so none may exist."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from shared.http.auth import AUTHENTICATES
from shared.http.sessions import ALLOWED_ROLES
from shared.identity.model import Role

# the partner portal's pages: the only routes a partner user may use
PORTAL = "/portal"
# routes that answer any signed-in caller about themselves only (who am I), never about anyone else
ABOUT_ONESELF = {("GET", "/v1/session")}


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from services.grants.app import create_app as grants
    from services.intake.app import create_app as intake
    from services.referral.app import create_app as referral
    from services.reporting.app import create_app as reporting

    return {"intake": intake, "referral": referral, "grants": grants, "reporting": reporting}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def routes_and_roles(app: FastAPI) -> list[tuple[str, str, frozenset[Role] | None, bool]]:
    """(method, path, the roles let in — None where the route names none —, whether it knows who
    calls) for every route of `app`."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(context.dependant if hasattr(context, "dependant") else route.dependant))
        named = [getattr(call, ALLOWED_ROLES) for call in calls if hasattr(call, ALLOWED_ROLES)]
        roles: frozenset[Role] | None = frozenset().union(*named) if named else None
        knows = any(getattr(call, AUTHENTICATES, False) for call in calls) or bool(named)
        for method in sorted(route.methods or ()):
            found.append((method, context.path_format or route.path, roles, knows))
    return found


@pytest.mark.parametrize("service", ["intake", "referral", "grants", "reporting"])
def test_every_route_that_knows_its_caller_names_its_roles_and_only_the_portal_names_partners(
    service: str,
) -> None:
    app = _apps()[service]()
    found = routes_and_roles(app)
    assert found, f"{service} has no routes?"
    unnamed = [
        (m, p) for m, p, roles, knows in found if knows and roles is None and (m, p) not in ABOUT_ONESELF
    ]
    assert unnamed == [], f"{service}: routes that authenticate but let every role in: {unnamed}"
    partners = sorted((m, p) for m, p, roles, _ in found if roles is not None and Role.PARTNER in roles)
    if service == "referral":
        assert partners, "the partner portal names the partner role"
        assert all(p == PORTAL or p.startswith(PORTAL + "/") for _, p in partners), partners
        # and the portal names nobody else: a caseworker has the API, not a partner's pages
        portal_roles = {roles for _, p, roles, _ in found if roles is not None and p.startswith(PORTAL)}
        assert portal_roles == {frozenset({Role.PARTNER})}
    else:
        assert partners == [], f"{service} lets a partner's staff in: {partners}"
