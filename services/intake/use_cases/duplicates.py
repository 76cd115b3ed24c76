"""Likely duplicates: who in the store is likely someone being registered (or someone in a case,
on demand), with a score and the reasons; and a caseworker's "different person", recorded so the
pair is not raised again.

The check takes people, not a registration: a registration, an announcement (issue 13's
pre-arrival notice, itself a case of expected people) or a stored case are each just a source of
people to look for. Only users who may see personal data are shown anything; a likely duplicate in
a case they may not see is shown without its id (they learn one exists, e.g. the same document
number in another programme, and can ask a supervisor)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from services.intake.core import merging
from services.intake.core.case import Case, ErasedCase
from services.intake.core.errors import CaseNotFound, DuplicateSuspected, LikelyDuplicate
from services.intake.core.matching import Pairing, pairings, person_of
from services.intake.core.requests import Member
from services.intake.core.validation import Invalid, Problem, check
from services.intake.core.views import sees_personal_data
from services.intake.store import cases as case_store
from services.intake.store import duplicates as store
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.recording import record_decision
from shared import access_log
from shared.db import Connection, Pool, transaction
from shared.identity.model import User
from shared.privacy import Action, Actor

INDEX_BATCH = 500


@dataclass(frozen=True)
class Found:
    """A likely duplicate as the store knows it (the case id even where the user may not see it)."""

    pairing: Pairing
    person: store.StoredPerson

    def shown_to(self, user: User) -> LikelyDuplicate:
        visible = user.may_see_case(self.person.programme_id, self.person.assigned_to, self.person.office)
        return LikelyDuplicate(
            member=self.pairing.member,
            case_id=self.person.case_id if visible else None,
            case_member=self.person.position if visible else None,
            score=self.pairing.match.score,
            reasons=self.pairing.match.reasons,
        )


async def find_likely(
    connection: Connection,
    programme_id: str,
    members: Sequence[Member],
    threshold: float,
    *,
    besides: UUID | None = None,
    lock: bool = False,
) -> list[Found]:
    """The people of the store likely to be one of `members` (of a case of `programme_id`), best
    first. `besides`: a case whose own people and recorded different people are left out. `lock`:
    hold each blocking key until the transaction ends (a registration: two at once of one person
    must not both pass)."""
    keys = [key for keys in store.people_keys(programme_id, members) for key in keys]
    if lock:
        await store.lock_keys(connection, keys)
    found = await store.people_sharing(connection, keys, besides=besides)
    pairs = pairings([person_of(m) for m in members], [person_of(f.member) for f in found], threshold)
    return [Found(p, found[p.found]) for p in pairs]


async def record_matches(connection: Connection | Pool, user: User, found: Sequence[Found]) -> None:
    """The access log's row for each case the check told `user` about."""
    await access_log.record(connection, Actor.of(user), Action.MATCH, [f.person.case_id for f in found])


@dataclass(frozen=True)
class CaseDuplicates:
    case_id: UUID
    candidates: list[LikelyDuplicate]


async def duplicates_of_case(context: IntakeContext, case_id: UUID, user: User) -> CaseDuplicates:
    """On demand: who in the store is likely someone in the case (pairs recorded as different
    people left out)."""
    async with transaction(context.pool) as connection:
        case = await _visible_case(connection, case_id, user)
        found = await find_likely(
            connection, case.programme_id, case.members, context.duplicate_threshold, besides=case_id
        )
        await access_log.record(connection, Actor.of(user), Action.READ, [case_id])
        await record_matches(connection, user, found)
    return CaseDuplicates(case_id, [f.shown_to(user) for f in found])


class DistinctPerson(BaseModel):
    """`POST /v1/cases/{id}/distinct`: the people of this case are not those of `other_case_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    other_case_id: UUID


async def confirm_distinct(
    context: IntakeContext, case_id: UUID, data: Any, user: User
) -> list[store.DistinctPair]:
    """Record that the people of the two cases are different people (who and when): the pair is
    not raised again. Both cases must be ones the user may see. Returns the case's recorded pairs."""
    now = context.clock()
    change = check(DistinctPerson, data, context.checks(now))
    if change.other_case_id == case_id:
        raise Invalid([Problem(("other_case_id",), "a case cannot be a different person from itself")])
    async with transaction(context.pool) as connection:
        await _visible_case(connection, case_id, user)
        try:
            await _visible_case(connection, change.other_case_id, user)
        except CaseNotFound:
            raise Invalid([Problem(("other_case_id",), "no such case among those you may see")]) from None
        await store.record_distinct(connection, case_id, [change.other_case_id], user.id, now)
        await access_log.record(connection, Actor.of(user), Action.DISTINCT, [case_id, change.other_case_id])
        return await store.distinct_from(connection, case_id)


class AnnouncementMerge(BaseModel):
    """`POST /v1/cases/{id}/merge`: the announcement (or unassessed registration) that is this family."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    announcement_id: UUID


async def merge_announcement(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    """Merge the announcement into the case (core/merging.py): both must be cases the user may see,
    and someone in the announcement likely someone in the case. Returns the case that stays."""
    now = context.clock()
    change = check(AnnouncementMerge, data, context.checks(now))
    async with transaction(context.pool) as connection:
        # both rows locked, in one order: two merges of one pair wait for each other
        for locked in sorted({case_id, change.announcement_id}):
            await case_store.load_case(connection, locked, for_update=True)
        case = await _visible_case(connection, case_id, user)
        try:
            announcement = await _visible_case(connection, change.announcement_id, user)
        except CaseNotFound:
            raise Invalid([Problem(("announcement_id",), "no such case among those you may see")]) from None
        stays, closed = merging.merge(case, announcement, user.id, now, context.duplicate_threshold)
        for decision in (stays, closed):
            await case_store.update_case(connection, decision.case)
            await record_decision(connection, context, decision)
        await access_log.record(connection, Actor.of(user), Action.MERGE, [case_id, change.announcement_id])
    return stays.case


# --- a new case: a registration, an announcement ------------------------------------------------
# A command that stores a new case with people in it (registration; issue 13's announcement the
# same way) runs inside `matches_logged`, calls `screen` in its transaction before storing the
# case, and `settle` after.


@asynccontextmanager
async def matches_logged(context: IntakeContext, user: User) -> AsyncIterator[list[Found]]:
    """What `screen` refused on is logged although the command's transaction is undone: the user
    was told of those cases."""
    suspected: list[Found] = []
    try:
        yield suspected
    except DuplicateSuspected:
        await record_matches(context.pool, user, suspected)
        raise


async def screen(
    connection: Connection,
    context: IntakeContext,
    programme_id: str,
    members: Sequence[Member],
    user: User,
    *,
    confirmed: bool,
    suspected: list[Found],
) -> list[Found]:
    """The likely duplicates of the new case's people, their blocking keys locked until the
    transaction ends. DuplicateSuspected (what the user may see of them) unless the user `confirmed`
    they are other people; then they are returned, for `settle`."""
    found = await find_likely(connection, programme_id, members, context.duplicate_threshold, lock=True)
    if found and not confirmed:
        suspected.extend(found)
        raise DuplicateSuspected([f.shown_to(user) for f in found])
    return found


async def settle(
    connection: Connection, case_id: UUID, found: Sequence[Found], user: User, now: datetime
) -> None:
    """After the new case is stored: the people the user saw and said are others are recorded as
    different people from it (not raised again), and the reads logged."""
    if found:
        await store.record_distinct(connection, case_id, {f.person.case_id for f in found}, user.id, now)
        await record_matches(connection, user, found)


async def _visible_case(connection: Connection, case_id: UUID, user: User) -> Case:
    if not sees_personal_data(user):  # fail closed: no score, no reason, to who may not see names
        raise CaseNotFound(str(case_id))
    case = await case_store.read_case(connection, case_id)
    if (
        case is None
        or isinstance(case, ErasedCase)
        or not user.may_see_case(case.programme_id, case.assigned_to, case.office)
    ):
        raise CaseNotFound(str(case_id))
    return case


async def index_people(context: IntakeContext) -> int:
    """Fill the matching keys of people stored before them (migration 0250), a batch at a time;
    how many were filled. Run at start: until then those people are not found as duplicates."""
    filled = 0
    while True:
        async with transaction(context.pool) as connection:
            done = await store.index_unkeyed(connection, INDEX_BATCH)
        filled += done
        if done < INDEX_BATCH:
            return filled
