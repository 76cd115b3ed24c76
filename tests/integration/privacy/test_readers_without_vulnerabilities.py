"""What readers who may not see vulnerabilities get, from every service: auditors, admins and the
data-protection officer. Every GET operation and page of the three services is called as each of
them, about a case that went through everything (a victim of trafficking with a medical condition,
placed with a safe house); no answer may hold the person's name, date of birth or document, a
vulnerability code, the urgency's reason, or the id of the specialised partner that holds the case.
The API's own documents (OpenAPI, /docs) describe the codes, not a case, and are left out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from services.referral.core.directory import Directory
from shared.events import Vulnerability
from shared.identity.model import Role
from shared.privacy import sees_vulnerabilities

from .conftest import SERVICES, Populated, System

pytestmark = pytest.mark.integration

# the API's own documents, and the partner directory (config: which partners exist and whom they
# take, no case in it; its loads are withheld from these readers, checked below)
DOCUMENTS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/v1/partners"}
WITHOUT_VULNERABILITIES = [r for r in Role if not sees_vulnerabilities(r)]


def paths(
    system: System, service: str, populated: Populated, user_id: str, referral_id: str = ""
) -> list[tuple[str, dict[str, str]]]:
    """Every GET operation and page of `service`, with this case's ids (and the reader's own user
    id) put in its path and, where it filters by them, in its query."""
    ids = {
        "user_id": user_id,
        "referral_id": referral_id,  # the partner portal's referral page
        "case_id": str(populated.case_id),
        "grant_id": populated.grant_id,
        "installment_id": populated.installment_ids[0],
        "programme_id": "DE-STARTHILFEPLUS",
    }
    found = []
    # included routers walked the way FastAPI's OpenAPI generator walks them (pages too)
    for context in iter_route_contexts(system.apps[service].routes):
        route, template = context.original_route, context.path_format or ""
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()) or template in DOCUMENTS:
            continue
        path = re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], template)
        query = {p.alias: ids[p.alias] for p in route.dependant.query_params if p.alias in ids}
        found.append((path, query))
    return found


def specialised(system: System) -> set[str]:
    directory: Directory = system.apps["referral"].state.directory
    return {p.id for p in directory.partners if p.eligibility.requires_any_of}


@pytest.mark.parametrize("role", WITHOUT_VULNERABILITIES, ids=lambda r: r.value)
async def test_no_view_or_export_of_any_service_gives_a_reader_without_the_right_a_vulnerability(
    system: System, role: Role
) -> None:
    populated = await system.populated_case()
    safe_houses = set(populated.partners.values()) & specialised(system)
    assert safe_houses, "the case should be placed with a specialised partner: the test would prove less"
    forbidden = [
        *populated.person.traces(),
        *(v.value for v in Vulnerability),
        "safety_risk",  # the urgency's reason stays in intake
        *safe_houses,
    ]
    user_id = await _user_id(system, role)
    # the referral a safe house holds: the one whose payload may name a vulnerability (the portal's
    # referral page, the eligible partners for re-routing it)
    held = await system.apps["referral"].state.pool.fetchval(
        "SELECT referral_id FROM referrals WHERE case_id = $1 AND partner_id = ANY($2::text[]) LIMIT 1",
        populated.case_id,
        sorted(safe_houses),
    )
    session = await system.page(role)  # the pages know their reader by the session cookie
    answered: dict[int, int] = {}
    leaks: list[str] = []
    for service in SERVICES:
        for path, query in paths(system, service, populated, user_id, str(held)):
            response = await system.call(service, "GET", path, role, params=query, headers=session)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            body = response.text.casefold()
            leaks += [f"{service} {path}: {word}" for word in forbidden if word.casefold() in body]
    assert leaks == []
    assert answered.get(200, 0) > 0, answered  # it read something: the sweep is not all refusals
    directory = await system.call("referral", "GET", "/v1/partners", role)
    if directory.status_code == 200:  # the directory, without the loads that would betray a case
        loads = [c for p in directory.json()["partners"] for c in p["categories"]]
        assert {(c["accepted"], c["awaiting_answer"], c["available"]) for c in loads} == {(None, None, None)}


async def _user_id(system: System, role: Role) -> str:
    identity = system.apps["intake"].state.identity
    user: Any = await identity.tokens.user_for_token(system.tokens[role])
    return str(user.id)
