"""Routing, pure: which partner gets a case's referral in each category it needs, how urgent it is,
and what that partner may see. No I/O: the use case loads the facts and the places in use, and
persists what this module decides.

The rules, in order, for one needed category:
1. no consent to share with that category's partners → `needs_consent`, no partner, no payload;
2. candidates: partners that serve the category, cover the case's municipality, take the people
   the referral concerns (eligibility), have a place left, and have not declined this referral before;
3. a specialised candidate (one whose eligibility asks for a vulnerability this case carries, e.g. a
   shelter for victims of trafficking) comes before a general one; then the least loaded wins
   (places in use / capacity, compared exactly); ties go to the smaller partner id;
4. no candidate → `unplaced`: kept and listed for the caseworker, never dropped.

No inference (DESIGN rule 7): eligibility and rank see only the vulnerabilities the category
declares (`payloads.disclosed`), and the priority is a function of the caseworker's urgency and
the arrival date alone (`priority_for`). So two cases that differ only in vulnerabilities their
category does not declare get the same partner, payload, priority and deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.events.codes import (
    ARRIVAL_CATEGORIES,
    Category,
    Priority,
    ReferralStatus,
    Relationship,
    Urgency,
    Vulnerability,
)
from shared.events.intake import CaseFacts, HouseholdMember

from .directory import AgeGroup, Directory, Partner, Service
from .payloads import disclosed, is_school_age, payload_for

ADULT_AGE = 18

# a returnee still waiting for this help this many days after arrival is not a normal case any more
WAITED_TOO_LONG_DAYS = 30

# Places in use (referrals issued, escalated or accepted) per (partner id, category).
Loads = Mapping[tuple[str, Category], int]


@dataclass(frozen=True)
class Placement:
    """The decision for one category: ISSUED to a partner, UNPLACED, or NEEDS_CONSENT."""

    category: Category
    status: ReferralStatus
    priority: Priority
    partner_id: str | None = None
    respond_by: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def priority_for(urgency: Urgency, arrival_date: date | None, today: date) -> Priority:
    """The caseworker's urgency; a normal case whose returnee arrived more than
    WAITED_TOO_LONG_DAYS ago is high. Nothing else: never a vulnerability (a partner could read
    one off the priority)."""
    waited = (today - arrival_date).days if arrival_date is not None else 0
    if urgency is Urgency.NORMAL and waited > WAITED_TOO_LONG_DAYS:
        return Priority.HIGH
    return Priority(urgency.value)


def principal(household: list[HouseholdMember]) -> HouseholdMember | None:
    return next((m for m in household if m.relationship is Relationship.PRINCIPAL), None) or (
        household[0] if household else None
    )


def concerned_members(category: Category, household: list[HouseholdMember]) -> list[HouseholdMember]:
    """Whom a referral is about: the school-age members for education (the principal when there
    are none), the principal otherwise. Eligibility is checked against these people."""
    if category is Category.EDUCATION:
        school_age = [m for m in household if is_school_age(m)]
        if school_age:
            return school_age
    head = principal(household)
    return [head] if head else []


def is_eligible(partner: Partner, category: Category, facts: CaseFacts) -> bool:
    told = disclosed(category, facts.vulnerabilities)
    return _takes(partner, told, concerned_members(category, facts.household))


def _takes(partner: Partner, told: Collection[Vulnerability], people: list[HouseholdMember]) -> bool:
    """`is_eligible`, with the people the referral concerns and the vulnerabilities its category
    may know of (`told`) already worked out."""
    rules = partner.eligibility
    if rules.requires_any_of and not set(rules.requires_any_of) & set(told):
        return False
    if not people:
        return rules.age_group is AgeGroup.ANY and rules.sex is None
    if rules.age_group is AgeGroup.MINORS and any(m.age >= ADULT_AGE for m in people):
        return False
    if rules.age_group is AgeGroup.ADULTS and any(m.age < ADULT_AGE for m in people):
        return False
    return rules.sex is None or all(m.sex is rules.sex for m in people)


def candidates(
    directory: Directory,
    facts: CaseFacts,
    category: Category,
    loads: Loads,
    excluded: Collection[str] = (),
) -> list[Partner]:
    """Every partner that may take this referral, best first."""
    people = concerned_members(category, facts.household)  # the same for every partner
    told = set(disclosed(category, facts.vulnerabilities))
    arrival = facts.expected_arrival
    if category in ARRIVAL_CATEGORIES and arrival is None:
        return []  # nothing to meet or drive once the family has arrived

    def covers(p: Partner) -> bool:
        if category in ARRIVAL_CATEGORIES and arrival is not None:
            return p.covers_trip(category, arrival.arrival_point, facts.municipality)
        return p.covers(facts.municipality)

    fitting = [
        p
        for p in directory.partners
        if p.serves(category)
        and covers(p)
        and p.id not in excluded
        and loads.get((p.id, category), 0) < p.categories[category].capacity
        and _takes(p, told, people)
    ]

    def rank(p: Partner) -> tuple[bool, float, str]:
        specialised = bool(told.intersection(p.eligibility.requires_any_of))
        # the share of places in use, compared exactly: a correctly rounded quotient of integers
        # this small (capacity <= 100,000, used < capacity) keeps their order and their ties
        used = loads.get((p.id, category), 0) / p.categories[category].capacity
        return (not specialised, used, p.id)

    return sorted(fitting, key=rank)


def place(
    facts: CaseFacts,
    category: Category,
    directory: Directory,
    loads: Loads,
    now: datetime,
    excluded: Collection[str] = (),
) -> Placement:
    """Decide the referral for one needed category (also used to re-route after a decline)."""
    priority = priority_for(facts.urgency, facts.arrival_date, now.date())
    if not facts.consent.get(category, False):
        return Placement(category, ReferralStatus.NEEDS_CONSENT, priority)
    best = next(iter(candidates(directory, facts, category, loads, excluded)), None)
    if best is None:
        return Placement(category, ReferralStatus.UNPLACED, priority)
    return Placement(
        category,
        ReferralStatus.ISSUED,
        priority,
        partner_id=best.id,
        respond_by=respond_by(category, best.categories[category], facts, now),
        payload=payload_for(category, facts),
    )


def respond_by(category: Category, service: Service, facts: CaseFacts, now: datetime) -> datetime:
    """When the partner's answer is due: `deadline_hours` from now; for airport reception and
    transport also at least `answer_before_arrival_hours` before the scheduled arrival — a late
    announcement leaves no time, and is due (and escalates) at once. A function of the partner's
    settings and the flight's time only: it tells the partner nothing else about the case."""
    due = now + timedelta(hours=service.deadline_hours)
    arrival = facts.expected_arrival
    if category in ARRIVAL_CATEGORIES and arrival is not None:
        before = arrival.scheduled_at - timedelta(hours=service.answer_before_arrival_hours)
        due = max(now, min(due, before))
    return due


def routed_now(category: Category, facts: CaseFacts, directory: Directory) -> bool:
    """Whether `category` is routed at this point of the return: while the family is expected, only
    the categories issued on announcement (airport reception, transport and those the directory
    names); once arrived, every category but airport reception and transport."""
    if facts.expected_arrival is not None:
        return directory.on_announcement(category)
    return category not in ARRIVAL_CATEGORIES


def plan_referrals(
    facts: CaseFacts,
    directory: Directory,
    loads: Loads,
    now: datetime,
    *,
    settled: Collection[Category] = (),
    excluded: Mapping[Category, Collection[str]] | None = None,
) -> list[Placement]:
    """One placement per needed category not yet `settled` (already held by a partner or done),
    in the order categories are defined. `excluded` names, per category, partners that already
    declined this case."""
    in_use = dict(loads)
    placements = []
    due = [c for c in Category if c in facts.needs and c not in settled and routed_now(c, facts, directory)]
    for category in due:
        placement = place(facts, category, directory, in_use, now, (excluded or {}).get(category, ()))
        if placement.partner_id is not None:
            key = (placement.partner_id, category)
            in_use[key] = in_use.get(key, 0) + 1
        placements.append(placement)
    return placements
