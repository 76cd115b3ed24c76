"""Announced returns (issue 13): a sending mission or a caseworker announces an expected return,
changes its flight or cancels it; reception confirms the arrival; a job marks the arrivals nobody
confirmed in time as missed. Each command is one transaction: the case, its history line, its
event's outbox row and the access log's row (DESIGN rules 1 and 4)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog

from services.intake.core import arrivals, decisions
from services.intake.core.arrival_requests import (
    Announcement,
    ArrivalCancellationRequest,
    ArrivalConfirmationRequest,
    Reschedule,
    announcement_problems,
    confirmation_problems,
    trip_problems,
)
from services.intake.core.case import Case
from services.intake.core.decisions import Decision
from services.intake.core.errors import CaseConflict, CaseNotFound
from services.intake.core.validation import Invalid, check
from services.intake.store import arrivals as arrival_store
from services.intake.store import cases as store
from services.intake.store import timeline
from services.intake.use_cases import duplicates
from services.intake.use_cases.cases import change_case, scope_problems
from services.intake.use_cases.context import IntakeContext
from services.intake.use_cases.recording import record_new_case
from shared import access_log, outbox
from shared.db import transaction
from shared.events import new_envelope, uuid7
from shared.events.codes import Category, ReferralStatus
from shared.identity.model import Role, User
from shared.privacy import Action, Actor, Purpose

log = structlog.get_logger("intake.arrivals")

MISSED_ARRIVALS_JOB = Actor(None, "missed-arrivals job", "system")
# a meeting code: read aloud or held up at a gate, so no characters that look alike (0/O, 1/I/L)
# and no vowels (no word can be spelled by chance)
MEETING_CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789"


def new_meeting_code() -> str:
    """Six random characters as XXX-XXX: what the family is given to be recognised by."""
    code = "".join(secrets.choice(MEETING_CODE_ALPHABET) for _ in range(6))
    return f"{code[:3]}-{code[3:]}"


def _zone(context: IntakeContext, arrival_point: str) -> ZoneInfo:
    point = context.catalogue.arrival_points.get(arrival_point)
    return point.zone if point is not None else ZoneInfo("UTC")


async def announce(context: IntakeContext, data: Any, user: User) -> Case:
    now = context.clock()
    checks = context.checks(now)
    announcement = check(
        Announcement,
        data,
        checks,
        lambda a: [
            *announcement_problems(a, checks.today, context.catalogue),
            *scope_problems(a, user),
        ],
    )
    case_id = uuid7()
    async with duplicates.matches_logged(context, user) as suspected:
        return await _announce(context, announcement, case_id, user, suspected)


async def _announce(
    context: IntakeContext,
    announcement: Announcement,
    case_id: UUID,
    user: User,
    suspected: list[duplicates.Found],
) -> Case:
    """As a registration: the duplicate screen in the transaction that stores the case."""
    now = context.clock()
    async with transaction(context.pool) as connection:
        found = await duplicates.screen(
            connection,
            context,
            announcement.programme,
            announcement.members,
            user,
            confirmed=announcement.confirm_distinct_person,
            suspected=suspected,
        )
        assignment = decisions.first_assignment(user.id, user.role is Role.CASEWORKER, user.office)
        decision = arrivals.announce(
            announcement,
            case_id,
            new_meeting_code(),
            user.id,
            now,
            assignment,
            _zone(context, announcement.arrival_point),
        )
        # the case, its people, history line, access log and outbox rows: one statement
        await record_new_case(connection, context, decision, Actor.of(user), Action.ANNOUNCE)
        await duplicates.settle(connection, case_id, found, user, now)
    return decision.case


async def reschedule(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    change = check(Reschedule, data, context.checks(context.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = trip_problems(change, case.country_of_return, context.catalogue)
        if problems:
            raise Invalid(problems)
        return arrivals.reschedule(case, change, user.id, now, _zone(context, change.arrival_point))

    return await change_case(context, case_id, user, Action.RESCHEDULE, decide)


async def cancel(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    request = check(ArrivalCancellationRequest, data, context.checks(context.clock()))
    return await change_case(
        context,
        case_id,
        user,
        Action.CANCEL_ARRIVAL,
        lambda case, now: arrivals.cancel(case, request.reason, request.note, user.id, now),
    )


async def confirm(context: IntakeContext, case_id: UUID, data: Any, user: User) -> Case:
    request = check(ArrivalConfirmationRequest, data, context.checks(context.clock()))

    def decide(case: Case, now: datetime) -> Decision:
        problems = confirmation_problems(request, len(case.members))
        if problems:
            raise Invalid(problems)
        point = case.arrival.arrival_point if case.arrival else ""
        return arrivals.confirm(case, request, user.id, now, _zone(context, point))

    return await change_case(context, case_id, user, Action.CONFIRM_ARRIVAL, decide)


async def mark_missed(context: IntakeContext, grace: timedelta, batch: int = 100) -> int:
    """Every expected arrival whose scheduled time plus `grace` has passed unconfirmed becomes
    `arrival_missed` (ArrivalMissed: referral withdraws its referrals). Returns how many."""
    now = context.clock()
    due = await arrival_store.overdue_arrivals(context.pool, now - grace, batch)
    missed = 0
    for case_id in due:
        async with transaction(context.pool) as connection:
            case = await store.load_case(connection, case_id, for_update=True)
            if case is None:
                continue
            try:
                decision = arrivals.miss(case, grace, now)
            except CaseConflict:
                continue  # confirmed, rescheduled or cancelled since it was listed
            await store.update_case(connection, decision.case)
            envelope = (
                new_envelope(decision.event, key=case.id, producer="intake") if decision.event else None
            )
            if envelope is not None:
                await outbox.append(connection, context.topics.returnees, envelope)
            await timeline.record_line(
                connection,
                case.id,
                now,
                decision.kind,
                decision.summary,
                None,
                envelope.event_id if envelope else None,
            )
            await access_log.record(
                connection, MISSED_ARRIVALS_JOB, Action.MISS_ARRIVAL, [case.id], Purpose.CASE_MANAGEMENT
            )
            missed += 1
    if missed:
        log.info("arrivals missed", count=missed)
    return missed


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedArrival:
    case: Case
    services: dict[Category, ReferralStatus]  # reception and transport, as referral reported them


async def expected_arrivals(
    context: IntakeContext, user: User, first: date, last: date
) -> list[ExpectedArrival]:
    """The expected arrivals in `user`'s scope scheduled on `first` to `last` (inclusive, each
    arrival's day read at its arrival point), earliest first. The caller records the read."""
    zones = {p.zone for p in context.catalogue.arrival_points.values()} or {ZoneInfo("UTC")}
    start = min(datetime.combine(first, time(), z) for z in zones)
    end = max(datetime.combine(last + timedelta(days=1), time(), z) for z in zones)
    found: list[Case] = []
    for case in await arrival_store.expected_between(context.pool, start, end):
        if case.arrival is None or not user.may_see_case(case.programme_id, case.assigned_to, case.office):
            continue
        local = case.arrival.scheduled_at.astimezone(_zone(context, case.arrival.arrival_point)).date()
        if first <= local <= last:
            found.append(case)
    statuses = await arrival_store.service_statuses(context.pool, [c.id for c in found])
    return [ExpectedArrival(c, statuses.get(c.id, {})) for c in found]


def today_at_arrival_points(context: IntakeContext) -> date:
    """Today, where the arrival points are (the first one's zone; UTC without any)."""
    point = next(iter(context.catalogue.arrival_points.values()), None)
    return context.clock().astimezone(point.zone if point else ZoneInfo("UTC")).date()


async def announced_case(context: IntakeContext, case_id: UUID, user: User) -> Case:
    """An announced case in `user`'s scope (CaseNotFound otherwise, also for a walk-in's case)."""
    found = await store.load_case(context.pool, case_id)
    if found is None or found.arrival is None:
        raise CaseNotFound(str(case_id))
    if not user.may_see_case(found.programme_id, found.assigned_to, found.office):
        raise CaseNotFound(str(case_id))
    return found


async def services_of(context: IntakeContext, case_id: UUID) -> dict[Category, ReferralStatus]:
    return (await arrival_store.service_statuses(context.pool, [case_id])).get(case_id, {})


async def record_arrival_reads(
    context: IntakeContext, user: User, action: Action, case_ids: list[UUID]
) -> None:
    await access_log.record(context.pool, Actor.of(user), action, case_ids)
