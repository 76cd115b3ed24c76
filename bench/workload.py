"""The load the benchmarks send: a partner directory with room for everyone, intake events and
HTTP registrations with needs and consent, all generated from a seed (the same on every run)."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from services.referral.core.directory import load_municipalities
from shared.events import Category, Envelope, Relationship, Sex, new_envelope
from shared.events.codes import ARRIVAL_CATEGORIES
from shared.events.intake import HouseholdMember, NeedsAssessed
from shared.settings import Settings

# every municipality the data file knows, in its order: the same places the services validate against
MUNICIPALITIES = tuple(load_municipalities(Settings().config_dir / "municipalities.yaml"))
PARTNERS = 8
# the categories a walk-in's referrals are for (airport reception and transport are for announced
# returns, routed by arrival point)
CATEGORIES = tuple(c for c in Category if c not in ARRIVAL_CATEGORIES)


def partners_yaml(partners: int = PARTNERS, capacity: int = 100_000) -> str:
    """Partners serving every category everywhere with a capacity no run reaches: every needed
    category with consent gets a ReferralIssued, so the count to wait for is known in advance."""
    lines = ["partners:"]
    for n in range(partners):
        categories = ", ".join(f"{c.value}: {{capacity: {capacity}, deadline_hours: 72}}" for c in CATEGORIES)
        lines.append(
            f"  - {{id: bench-partner-{n}, name: Bench Partner {n}, "
            f"municipalities: [{', '.join(MUNICIPALITIES)}], categories: {{{categories}}}}}"
        )
    return "\n".join(lines) + "\n"


def _household(rng: random.Random) -> list[HouseholdMember]:
    members = [
        HouseholdMember(
            age=rng.randint(19, 60),
            sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            relationship=Relationship.PRINCIPAL,
        )
    ]
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        members.append(
            HouseholdMember(
                age=rng.randint(1, 17),
                sex=rng.choice([Sex.FEMALE, Sex.MALE]),
                relationship=Relationship.CHILD,
                school_level="primary",
            )
        )
    return members


def needs_assessed_events(count: int, seed: int = 7) -> tuple[list[Envelope], int]:
    """`count` NeedsAssessed envelopes for new cases (1 to 3 needs each, all consented), and the
    number of ReferralIssued they cause."""
    rng = random.Random(seed)
    events, referrals = [], 0
    for _ in range(count):
        case_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        needs = rng.sample(CATEGORIES, rng.choice([1, 1, 2, 2, 3]))
        referrals += len(needs)
        event = NeedsAssessed(
            case_id=case_id,
            programme_id="NL-AVRR",
            municipality=rng.choice(MUNICIPALITIES),
            household=_household(rng),
            needs=needs,
            consent=dict.fromkeys(needs, True),
            skills=["carpentry"],
            assessed_by="bench",
        )
        events.append(new_envelope(event, key=case_id, producer="intake"))
    return events, referrals


def _name_part(rng: random.Random) -> str:
    """A made-up name part (three or four syllables): two of them rarely look alike, so the
    duplicate check finds nobody (the registrations are all of different people, as in real life)."""
    syllables = [rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(rng.choice([3, 4]))]
    return "".join(syllables).capitalize()


def _born(rng: random.Random, today: date, youngest: int, oldest: int) -> str:
    """A date of birth on any day between `youngest` and `oldest` years ago: people share a birthday
    about as often as real ones do (the duplicate check's blocking key), not once a year."""
    return (today - timedelta(days=rng.randint(365 * youngest, 365 * oldest))).isoformat()


def registration(rng: random.Random, today: date) -> dict[str, Any]:
    """`POST /v1/cases` for a new household with needs and consent: a unique principal and
    children with names and birthdays of their own, so the duplicate check never stops it."""
    tag = uuid.UUID(int=rng.getrandbits(128), version=4).hex[:12]
    needs = rng.sample([c.value for c in CATEGORIES], rng.choice([1, 2]))
    surname = _name_part(rng)
    members = [
        {
            "name": f"{_name_part(rng)} {surname}",
            "date_of_birth": _born(rng, today, 20, 60),
            "sex": rng.choice(["female", "male"]),
            "relationship": "principal",
            "identity_document": {"type": "passport", "number": f"P{tag[:8].upper()}"},
        }
    ]
    for _ in range(rng.choice([0, 1, 2])):
        members.append(
            {
                "name": f"{_name_part(rng)} {surname}",
                "date_of_birth": _born(rng, today, 2, 15),
                "sex": rng.choice(["female", "male"]),
                "relationship": "child",
            }
        )
    return {
        "members": members,
        "programme_id": rng.choice(["DE-STARTHILFEPLUS", "NL-AVRR", "CH-RKH"]),
        "country_of_return": "MK",
        "municipality": rng.choice(MUNICIPALITIES),
        "sending_country": "DE",
        "arrival_date": (today - timedelta(days=1)).isoformat(),
        "needs": needs,
        "consent": dict.fromkeys(needs, True),
    }
