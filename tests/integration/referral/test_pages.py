"""The caseworker's referral page without a browser: who may open it, what each form answers (303
back to the page, 422 beside the field, 409 with the reason, 404 outside scope), and that a form
does what the API does (its events on the partner's topic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from services.referral.use_cases.escalation import escalate_overdue
from shared.events import Category
from shared.identity.model import Role
from tests.support import TEST_PASSWORD, add_person, sign_in

from .checks import published
from .conftest import RunningReferral
from .events import needs_assessed

pytestmark = pytest.mark.integration


async def signed_in(referral: RunningReferral, role: Role, **scope: object) -> dict[str, str]:
    name = f"{role.value}-{uuid4().hex[:6]}"
    await add_person(referral.app.state.identity, name, role, **scope)
    return await sign_in(referral.client, name, TEST_PASSWORD)


async def issued_case(referral: RunningReferral, municipality: str) -> tuple[UUID, str]:
    event = needs_assessed(municipality=municipality, needs=[Category.HOUSING])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    return UUID(event.key), str(issued.data["referral_id"])


async def page_get(referral: RunningReferral, path: str, cookie: dict[str, str]) -> httpx.Response:
    # a page request carries the cookie, never the client's bearer token
    return await referral.client.get(path, headers={**cookie, "Authorization": ""})


async def page_post(
    referral: RunningReferral, path: str, cookie: dict[str, str], data: dict[str, str]
) -> httpx.Response:
    return await referral.client.post(path, data=data, headers={**cookie, "Authorization": ""})


async def test_only_caseworkers_and_supervisors_in_scope_see_the_page(referral: RunningReferral) -> None:
    case_id, referral_id = await issued_case(referral, "kumanovo")
    path = f"/cases/{case_id}/referrals"

    anonymous = await referral.client.get(path, headers={"Authorization": ""})
    assert anonymous.status_code == 200
    assert 'action="/signin"' in anonymous.text

    for role in (Role.CASEWORKER, Role.SUPERVISOR):
        shown = await page_get(referral, path, await signed_in(referral, role))
        assert shown.status_code == 200, shown.text
        assert "Kumanovo Homes" in shown.text  # the partner's name: caseworkers may see it
        assert f'action="/cases/{case_id}/referrals/{referral_id}/withdraw"' in shown.text

    for role in (Role.FINANCE, Role.ADMIN, Role.AUDITOR):
        refused = await page_get(referral, path, await signed_in(referral, role))
        assert refused.status_code == 403
        assert "Kumanovo Homes" not in refused.text

    elsewhere = await signed_in(referral, Role.CASEWORKER, programmes=["DE-STARTHILFEPLUS"])
    hidden = await page_get(referral, path, elsewhere)
    assert hidden.status_code == 404
    assert "Kumanovo Homes" not in hidden.text
    posted = await page_post(referral, f"{path}/{referral_id}/withdraw", elsewhere, {"reason": "other"})
    assert posted.status_code == 404
    assert referral.recorder.find(key=case_id, type="ReferralWithdrawn") == []


async def test_the_forms_answer_beside_the_field_and_do_what_the_api_does(referral: RunningReferral) -> None:
    case_id, referral_id = await issued_case(referral, "skopje")
    cookie = await signed_in(referral, Role.CASEWORKER)
    path = f"/cases/{case_id}/referrals/{referral_id}"

    no_reason = await page_post(referral, f"{path}/withdraw", cookie, {"reason": ""})
    assert no_reason.status_code == 422
    assert "Choose a reason from the list" in no_reason.text
    assert f'id="reason-{referral_id}" name="reason" required aria-describedby' in no_reason.text

    far_away = await page_post(referral, f"{path}/reroute", cookie, {"partner_id": "bitola-homes"})
    assert far_away.status_code == 409
    assert "may not take this referral" in far_away.text

    from_elsewhere = await referral.client.post(
        f"{path}/withdraw",
        data={"reason": "other"},
        headers={**cookie, "Authorization": "", "Origin": "https://evil.example"},
    )
    assert from_elsewhere.status_code == 403

    done = await page_post(referral, f"{path}/withdraw", cookie, {"reason": "wrong_category"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases/{case_id}/referrals?done=withdraw#referral-{referral_id}"
    [withdrawn] = await published(referral, key=case_id, type="ReferralWithdrawn", count=1)
    assert withdrawn.data["reason"] == "wrong_category"
    page = await page_get(referral, done.headers["location"], cookie)
    assert "Referral withdrawn. The partner has been told." in page.text
    assert "Wrong category" in page.text


async def test_an_escalated_referral_is_held_and_released_on_the_page(referral: RunningReferral) -> None:
    case_id, referral_id = await issued_case(referral, "tetovo")
    [issued] = await published(referral, key=case_id, type="ReferralIssued", count=1)
    respond_by = datetime.fromisoformat(str(issued.data["respond_by"]))
    await escalate_overdue(referral.app.state.pool, referral.topics, respond_by + timedelta(seconds=1))
    await published(referral, key=case_id, type="ReferralEscalated", count=1)
    cookie = await signed_in(referral, Role.SUPERVISOR)
    page = f"/cases/{case_id}/referrals"

    shown = await page_get(referral, page, cookie)
    assert f'action="{page}/{referral_id}/hold"' in shown.text
    held = await page_post(referral, f"{page}/{referral_id}/hold", cookie, {})
    assert held.status_code == 303
    await published(referral, key=case_id, type="ReferralHeld", count=1)
    shown = await page_get(referral, page, cookie)
    assert "not re-routed automatically" in shown.text
    assert f'action="{page}/{referral_id}/release"' in shown.text

    again = await page_post(referral, f"{page}/{referral_id}/hold", cookie, {})
    assert again.status_code == 409
    released = await page_post(referral, f"{page}/{referral_id}/release", cookie, {})
    assert released.status_code == 303
    await published(referral, key=case_id, type="ReferralReleased", count=1)
