"""Intake's case page links to the case's referrals on referral's own page (issue 15, point 1), for
the roles that act on referrals there."""

from __future__ import annotations

import pytest

from shared.identity.model import Role

from .conftest import IntakeUnderTest
from .helpers import family
from .test_service import signed_in

pytestmark = pytest.mark.integration


async def test_the_case_page_links_caseworkers_and_supervisors_to_the_referral_page(
    intake: IntakeUnderTest,
) -> None:
    created = await intake.client.post("/v1/cases", json=family(), headers=intake.auth(Role.CASEWORKER))
    case_id = created.json()["id"]
    link = f'href="{intake.settings.page_urls["referral"]}/cases/{case_id}/referrals"'
    for role in (Role.CASEWORKER, Role.SUPERVISOR):
        async with signed_in(intake, role) as browser:
            page = await browser.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert link in page.text
    async with signed_in(intake, Role.FINANCE) as browser:
        page = await browser.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert link not in page.text  # finance reads the case, and may not act on its referrals
