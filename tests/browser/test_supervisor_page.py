"""The supervisors' queue in Chromium, in English (issue 15, point 3): the plans waiting for
approval (approved from the queue; never by the supervisor who proposed one) and the referrals that
stand escalated, linked to their cases; a caseworker gets the 403 page. No serious or critical axe
violation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from services.intake.app import create_app
from shared.events import new_envelope
from shared.events.referral import ReferralEscalated, ReferralStatusChanged
from shared.identity.model import Role
from shared.topics import Topics
from tests.browser.accessibility import blocking_violations
from tests.browser.serving import serving
from tests.browser.test_caseworker_page import CHROMIUM_ARGS, chromium
from tests.conftest import Isolated
from tests.integration.intake.helpers import family
from tests.support import TEST_PASSWORD, add_person, eventually, publish

pytestmark = pytest.mark.integration
PLAN = {"assistance": [{"assistance_type": "cash", "requested": {"amount": 150_000, "currency": "EUR"}}]}


@dataclass
class Site:
    url: str
    app: Any
    tokens: dict[str, str]
    topics: Topics
    bootstrap: str
    browser: Browser

    async def person(self, name: str) -> Page:
        page = await (await self.browser.new_context(viewport={"width": 1280, "height": 1000})).new_page()
        await page.goto(f"{self.url}/?lang=en")
        await page.locator("#name").fill(name)
        await page.locator("#password").fill(TEST_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        return page

    async def case_with_plan(self, proposer: str) -> str:
        async with httpx.AsyncClient(base_url=self.url) as api:
            created = await api.post("/v1/cases", json=family(), headers=self.auth("a.caseworker"))
            assert created.status_code == 201, created.text
            case_id = str(created.json()["id"])
            proposed = await api.post(f"/v1/cases/{case_id}/plan", json=PLAN, headers=self.auth(proposer))
            assert proposed.status_code == 200, proposed.text
        return case_id

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def report(self, *events: Any) -> None:
        for event in events:
            envelope = new_envelope(event, key=event.case_id, producer="referral")
            await publish(
                self.bootstrap,
                self.topics.referral_status.name,
                [envelope.to_bytes()],
                key=envelope.key.encode(),
            )


@pytest.fixture
async def site(isolated: Isolated) -> AsyncIterator[Site]:
    app = create_app(isolated.settings)
    async with serving(app, "intake") as url:
        tokens = {}
        for name, role in [
            ("a.caseworker", Role.CASEWORKER),
            ("a.supervisor", Role.SUPERVISOR),
            ("b.supervisor", Role.SUPERVISOR),
        ]:
            _, tokens[name] = await add_person(app.state.identity, name, role)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                yield Site(
                    url,
                    app,
                    tokens,
                    Topics(isolated.settings.topic_prefix),
                    isolated.settings.kafka_bootstrap_servers,
                    browser,
                )
            finally:
                await browser.close()


def escalation(case_id: str, category: str = "housing") -> ReferralEscalated:
    return ReferralEscalated(
        referral_id=uuid4(),
        case_id=UUID(case_id),
        partner_id="tetovo-housing",
        category=category,
        deadline=datetime.now(UTC) - timedelta(hours=1),
    )


async def test_a_supervisor_approves_a_plan_from_the_queue_and_sees_escalations(site: Site) -> None:
    theirs = await site.case_with_plan("a.caseworker")
    own = await site.case_with_plan("a.supervisor")
    escalated = await site.case_with_plan("a.caseworker")
    answered = await site.case_with_plan("a.caseworker")
    late = escalation(answered)
    await site.report(
        escalation(escalated),
        late,
        ReferralStatusChanged(
            referral_id=late.referral_id,
            case_id=late.case_id,
            partner_id="tetovo-housing",
            category="housing",
            status="accepted",
            previous_status="escalated",
        ),
    )
    supervisor = await site.person("a.supervisor")
    await expect(supervisor.get_by_role("link", name="Supervisor's queue")).to_be_visible()
    await supervisor.get_by_role("link", name="Supervisor's queue").click()
    await expect(supervisor.get_by_role("heading", level=1)).to_have_text("Supervisor's queue")

    pool = site.app.state.intake.pool

    async def reported() -> bool:  # all three reports on the timelines
        lines = await pool.fetchval(
            "SELECT count(*) FROM timeline_events WHERE case_id = ANY($1::uuid[])",
            [UUID(escalated), UUID(answered)],
        )
        return bool(lines == 3)

    await eventually(reported, timeout=30, interval=0.3, what="referral's reports on the timelines")
    await supervisor.reload()
    escalations = supervisor.locator("section[aria-labelledby=escalated] li")
    await expect(escalations).to_have_count(1)  # the answered one is off the queue
    await expect(escalations).to_contain_text(f"Case {escalated[-8:]}: Housing")
    await expect(escalations.get_by_role("link")).to_have_attribute("href", f"/cases/{escalated}")

    plans = supervisor.locator("section[aria-labelledby=plans] tbody tr")
    await expect(plans).to_have_count(4)
    mine = supervisor.locator(
        "section[aria-labelledby=plans] tbody tr", has=supervisor.locator(f"#case-{own}")
    )
    await expect(mine).to_contain_text("You proposed this plan: another supervisor approves it.")
    await expect(mine.get_by_role("button")).to_have_count(0)
    violations = await blocking_violations(supervisor)

    await supervisor.locator(f"#approve-{theirs}").click()
    await expect(supervisor.locator(".notice")).to_have_text("Plan approved.")
    await expect(plans).to_have_count(3)
    await expect(supervisor.locator(f"#case-{theirs}")).to_have_count(0)
    violations += await blocking_violations(supervisor)
    assert violations == []
    async with httpx.AsyncClient(base_url=site.url) as api:
        case = (await api.get(f"/v1/cases/{theirs}", headers=site.auth("a.caseworker"))).json()
    assert case["status"] == "plan_approved"
    assert case["plan"]["status"] == "approved"


async def test_the_queue_is_for_supervisors_only(site: Site) -> None:
    caseworker = await site.person("a.caseworker")
    answer = await caseworker.goto(f"{site.url}/supervisor")
    assert answer is not None
    assert answer.status == 403
    await expect(caseworker.get_by_role("heading", level=1)).to_have_text("Not allowed")
    await expect(caseworker.get_by_role("link", name="Supervisor's queue")).to_have_count(0)
    assert await blocking_violations(caseworker) == []
