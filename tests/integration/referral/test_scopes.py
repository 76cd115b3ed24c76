"""Scopes fail closed in referral too: it learns each case's programme from intake's events (and its
assignment from ReturneeRegistered and CaseAssigned), and every list holds only the reader's
programmes — and, for a caseworker limited to their own or their office's cases, only those. The
access log too is read within the officer's programmes."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.events import Category, new_envelope
from shared.events.intake import CaseAssigned, ReturneeRegistered
from shared.identity.model import CaseScope, Role, User
from tests.support import eventually

from .checks import published
from .conftest import RunningReferral
from .events import ADULT_WOMAN

pytestmark = pytest.mark.integration

NL, DE = "NL-AVRR", "DE-STARTHILFEPLUS"


async def registered(
    referral: RunningReferral, programme: str, *, assigned_to: UUID | None, office: str | None
) -> UUID:
    case_id = uuid4()
    event = ReturneeRegistered(
        case_id=case_id,
        programme_id=programme,
        municipality="skopje",
        household=[ADULT_WOMAN],
        needs=[Category.HOUSING],
        consent={Category.HOUSING: True},
        country_of_return="MK",
        sending_country=programme[:2],
        arrival_date=date(2025, 2, 14),
        registered_by="caseworker-7",
        assigned_to=assigned_to,
        office=office,
    )
    await referral.send(referral.topics.returnees, new_envelope(event, key=case_id, producer="intake"))
    await published(referral, key=case_id, type="ReferralIssued", count=1)
    return case_id


async def user(
    referral: RunningReferral, name: str, programmes: list[str], **scope: Any
) -> tuple[User, dict[str, str]]:
    found, token = await referral.app.state.identity.add_user(
        f"{name}-{uuid4().hex[:6]}", Role.CASEWORKER, programmes=programmes, **scope
    )
    return found, {"Authorization": f"Bearer {token}"}


async def seen(referral: RunningReferral, headers: dict[str, str], **params: str) -> set[str]:
    answer = await referral.client.get("/v1/referrals", params={"limit": "1000", **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {r["case_id"] for r in answer.json()["referrals"]}


async def test_a_reader_of_one_programme_sees_only_its_referrals(referral: RunningReferral) -> None:
    ours = str(await registered(referral, NL, assigned_to=None, office=None))
    theirs = str(await registered(referral, DE, assigned_to=None, office=None))
    _, nl = await user(referral, "nl", [NL])
    _, nobody = await user(referral, "nobody", [])

    assert ours in await seen(referral, nl)
    assert theirs not in await seen(referral, nl)
    assert await seen(referral, nl, case_id=theirs) == set()  # not by its id either
    assert await seen(referral, nl, partner_id="skopje-homes-a") | await seen(
        referral, nl, partner_id="skopje-homes-b"
    ) >= {ours}
    assert await seen(referral, nobody) == set()  # no programme: nothing at all
    unplaced = await referral.client.get("/v1/referrals/unplaced", headers=nobody)
    assert (unplaced.status_code, unplaced.json()["referrals"]) == (200, [])
    stored = await referral.app.state.pool.fetch(
        "SELECT r.programme_id AS referral, c.programme_id AS case FROM referrals r"
        " JOIN cases c USING (case_id) WHERE r.case_id = $1",
        UUID(ours),
    )
    assert [(r["referral"], r["case"]) for r in stored] == [(NL, NL)]


async def test_caseworkers_limited_to_their_own_or_their_office_see_those_cases_only(
    referral: RunningReferral,
) -> None:
    own, own_headers = await user(referral, "own", [NL], case_scope=CaseScope.ASSIGNED, office="skopje")
    _, skopje = await user(referral, "skopje", [NL], case_scope=CaseScope.OFFICE, office="skopje")
    _, bitola = await user(referral, "bitola", [NL], case_scope=CaseScope.OFFICE, office="bitola")
    mine = await registered(referral, NL, assigned_to=own.id, office="skopje")
    someone_elses = await registered(referral, NL, assigned_to=uuid4(), office="skopje")

    assert str(mine) in await seen(referral, own_headers)
    assert str(someone_elses) not in await seen(referral, own_headers)
    assert {str(mine), str(someone_elses)} <= await seen(referral, skopje)
    assert str(mine) not in await seen(referral, bitola)

    # a supervisor gives the case to the Bitola office and nobody in particular
    moved = CaseAssigned(
        case_id=mine, programme_id=NL, assigned_to=None, office="bitola", assigned_by="sup-1"
    )
    await referral.send(referral.topics.returnees, new_envelope(moved, key=mine, producer="intake"))

    async def reassigned() -> bool:
        return str(mine) in await seen(referral, bitola)

    await eventually(reassigned, what="the case's referrals to follow it to the Bitola office")
    assert str(mine) not in await seen(referral, skopje)
    assert str(mine) not in await seen(referral, own_headers)


async def test_the_access_log_is_read_within_the_officers_programmes(referral: RunningReferral) -> None:
    """The data-protection officer of NL reads the access log of NL's cases (another programme's
    case is a 404, as one that does not exist), and a user's accesses without DE's cases."""
    ours = str(await registered(referral, NL, assigned_to=None, office=None))
    theirs = str(await registered(referral, DE, assigned_to=None, office=None))
    reader, every = await user(referral, "every", [NL, DE])
    assert await seen(referral, every, case_id=ours) == {ours}
    assert await seen(referral, every, case_id=theirs) == {theirs}
    _, token = await referral.app.state.identity.add_user(
        f"dpo-nl-{uuid4().hex[:6]}", Role.DPO, programmes=[NL]
    )
    dpo = {"Authorization": f"Bearer {token}"}

    own = await referral.client.get(f"/v1/cases/{ours}/access-log", headers=dpo)
    assert own.status_code == 200, own.text
    assert [(e["actor_id"], e["action"]) for e in own.json()["entries"]] == [(str(reader.id), "read")]
    for case in (theirs, str(uuid4())):
        assert (await referral.client.get(f"/v1/cases/{case}/access-log", headers=dpo)).status_code == 404
    by_user = await referral.client.get("/v1/access-log", params={"user_id": str(reader.id)}, headers=dpo)
    assert by_user.status_code == 200, by_user.text
    assert [e["case_id"] for e in by_user.json()["entries"]] == [ours]
