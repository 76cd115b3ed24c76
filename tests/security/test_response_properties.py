"""Property-level authorization (OWASP API3), from the OpenAPI documents: no response of grants or
referral has a field for a returnee's personal data — they never receive it (DESIGN rule 7), and a
field added later fails here until someone decides who may see it. Intake's per-role views are
tested on the live app in test_intake_object_access.py."""

from __future__ import annotations

from typing import Any

import pytest

from shared.settings import Settings

PERSONAL = {
    "name",
    "names",
    "members",
    "principal_name",
    "date_of_birth",
    "identity_document",
    "document_number",
    "phone",
    "phone_number",
    "address",
    "vulnerabilities",
    "notes",
    "note",
}
# where a field of one of those names holds something else: a programme's or partner's own name
NOT_PERSONAL = {
    ("ProgrammeView", "name"),
    ("PartnerOut", "name"),
    ("EligiblePartner", "name"),
}  # organisations


def response_properties(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(schema, property) of every component schema that some response refers to, transitively."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    seen: set[str] = set()

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
            return found.union(*(refs(v) for v in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(v) for v in node))
        return set()

    pending = refs([op.get("responses", {}) for path in document["paths"].values() for op in path.values()])
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending |= refs(schemas[name]) - seen
    return {(name, prop) for name in seen for prop in schemas[name].get("properties", {})}


@pytest.mark.parametrize("service", ["grants", "referral"])
def test_no_response_has_a_field_for_personal_data(service: str) -> None:
    from services.grants.app import create_app as grants_app
    from services.referral.app import create_app as referral_app

    app = grants_app(Settings()) if service == "grants" else referral_app(Settings())
    document = app.openapi()
    properties = response_properties(document)
    assert properties, "no response schema found"
    assert {(s, p) for s, p in properties if p in PERSONAL} - NOT_PERSONAL == set()
