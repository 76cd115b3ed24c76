"""One trace per request, through the outbox and Kafka into every consumer and on: a registration's
trace shows the referrals it caused; a plan approval's trace shows its grant and installments.

Intake, referral and grants run in this process (one topic prefix, a schema each) on the real broker
and database; the spans come from the test session's in-memory exporter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.grants.app import create_app as create_grants
from services.intake.app import create_app as create_intake
from services.referral.app import create_app as create_referral
from shared.events import parse_envelope
from shared.identity.model import Role
from shared.topics import Topics
from tests.conftest import new_isolation, release_isolation
from tests.integration.intake.helpers import family
from tests.support import eventually, every_programme, headers_of, read_topic

pytestmark = pytest.mark.integration


@dataclass
class System:
    bootstrap: str
    topics: Topics
    intake: httpx.AsyncClient
    grants: httpx.AsyncClient
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def records(self, topic: str, case_id: str, at_least: int = 1) -> list[Any]:
        async def found() -> list[Any]:
            records = await read_topic(self.bootstrap, topic)
            mine = [r for r in records if r.key == case_id.encode()]
            return mine if len(mine) >= at_least else []

        return await eventually(found, what=f"{at_least} record(s) of case {case_id} on {topic}")


@pytest.fixture(scope="module")
async def system(kafka_bootstrap: str, database_url: str) -> AsyncIterator[System]:
    isolation = new_isolation(kafka_bootstrap, database_url)
    apps = {
        "intake": create_intake(isolation.with_schema("intake")),
        "referral": create_referral(isolation.with_schema("referral")),
        "grants": create_grants(isolation.with_schema("grants")),
    }
    try:
        async with AsyncExitStack() as stack:
            for app in apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            identity = apps["intake"].state.identity
            tokens = {
                who: (await identity.add_user(f"{who}-traced", role, programmes=every_programme()))[1]
                for who, role in [
                    ("caseworker", Role.CASEWORKER),
                    ("supervisor", Role.SUPERVISOR),
                    ("finance", Role.FINANCE),
                ]
            }
            clients = {
                name: await stack.enter_async_context(
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test")
                )
                for name, app in apps.items()
            }
            yield System(
                kafka_bootstrap, Topics(isolation.topic_prefix), clients["intake"], clients["grants"], tokens
            )
    finally:
        await release_isolation(isolation)


def trace_id(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


def server_span(spans: InMemorySpanExporter, response: httpx.Response) -> ReadableSpan:
    correlation = response.headers["x-correlation-id"]
    (span,) = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.SERVER
        and s.attributes
        and s.attributes.get("homeward.correlation_id") == correlation
    ]
    return span


def ancestors(spans: InMemorySpanExporter, span: ReadableSpan) -> list[int]:
    """The span ids from `span`'s parent up to the root of its trace, among the finished spans."""
    parents = {
        s.context.span_id: s.parent.span_id if s.parent else None
        for s in spans.get_finished_spans()
        if s.context
    }
    found, current = [], span.parent.span_id if span.parent else None
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


def consumer_spans(spans: InMemorySpanExporter, trace: int, topic: str) -> list[ReadableSpan]:
    return [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.CONSUMER
        and s.context is not None
        and s.context.trace_id == trace
        and s.attributes
        and s.attributes.get("messaging.destination.name") == topic
    ]


async def test_a_registrations_trace_shows_the_referrals_it_caused(
    system: System, spans: InMemorySpanExporter
) -> None:
    registered = await system.intake.post("/v1/cases", json=family(), headers=system.auth("caseworker"))
    assert registered.status_code == 201, registered.text
    case_id = registered.json()["id"]
    request = server_span(spans, registered)
    trace = request.context.trace_id

    (published,) = await system.records(system.topics.returnees.name, case_id)
    assert trace_id(headers_of(published)["traceparent"]) == trace

    status_records = await system.records(system.topics.referral_status.name, case_id, at_least=2)
    for record in status_records:  # each referral the registration caused, in the same trace
        assert trace_id(headers_of(record)["traceparent"]) == trace

    async def referral_consumed() -> list[ReadableSpan]:
        return consumer_spans(spans, trace, system.topics.returnees.name)

    consumed = await eventually(referral_consumed, what="referral's span for the registration")
    assert all(request.context.span_id in ancestors(spans, s) for s in consumed)


async def test_a_plan_approvals_trace_shows_the_grant_and_its_installments(
    system: System, spans: InMemorySpanExporter
) -> None:
    funded = await system.grants.post(
        "/v1/programmes/DE-STARTHILFEPLUS/funding",
        json={"amount": {"amount": 10_000_000, "currency": "EUR"}, "reference": "TRACE-1"},
        headers={**system.auth("finance"), "Idempotency-Key": "trace-funding"},
    )
    assert funded.status_code in (200, 201), funded.text
    registered = await system.intake.post("/v1/cases", json=family(), headers=system.auth("caseworker"))
    case_id = registered.json()["id"]
    plan = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 100_000, "currency": "EUR"}}]}
    proposed = await system.intake.post(
        f"/v1/cases/{case_id}/plan", json=plan, headers=system.auth("caseworker")
    )
    assert proposed.status_code == 200, proposed.text
    approved = await system.intake.post(
        f"/v1/cases/{case_id}/plan/approve", headers=system.auth("supervisor")
    )
    assert approved.status_code == 200, approved.text
    trace = server_span(spans, approved).context.trace_id

    grant_events = await system.records(system.topics.grants_installments.name, case_id, at_least=2)
    types = [parse_envelope(r.value).type for r in grant_events]
    assert "GrantOpened" in types
    assert "InstallmentDue" in types
    for record in grant_events:
        assert trace_id(headers_of(record)["traceparent"]) == trace
    # each request keeps its own correlation id (the grant's events carry the approval's, not the
    # registration's); the trace is what links them
    correlations = {str(parse_envelope(r.value).correlation_id) for r in grant_events}
    assert correlations == {approved.headers["x-correlation-id"]}
    assert registered.headers["x-correlation-id"] not in correlations
