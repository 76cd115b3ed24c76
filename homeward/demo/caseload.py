"""A generated caseload: who returns, where to, under which programme, with which vulnerabilities and
needs, and how far each case gets during the demo. Pure and seeded: the same seed and day give the
same caseload, as the JSON bodies intake's API takes.

The proportions are the demo's picture of a country office's month, not statistics: about 5% of
cases are unaccompanied minors, 8% victims of trafficking, 20% single parents, 15% have a medical
condition; half are single adults, most of the rest families with children.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from homeward.demo.names import Family, family

# municipality code → weight (where returnees go, roughly by population)
MUNICIPALITIES = {
    "skopje": 30, "tetovo": 11, "kumanovo": 10, "bitola": 8, "gostivar": 7, "ohrid": 6,
    "prilep": 5, "stip": 5, "veles": 5, "strumica": 5, "kicevo": 4, "struga": 4,
}  # fmt: skip


@dataclass(frozen=True)
class Programme:
    id: str
    sending_country: str
    currency: str
    weight: int


# one per donor government (deploy/config/donor-policies.yaml), each sending from its own country
PROGRAMMES = (
    Programme("DE-STARTHILFEPLUS", "DE", "EUR", 30),
    Programme("NL-AVRR", "NL", "EUR", 18),
    Programme("CH-RKH", "CH", "CHF", 15),
    Programme("NO-VARP", "NO", "NOK", 10),
    Programme("FI-AVRR", "FI", "EUR", 8),
    Programme("BE-FEDASIL", "BE", "EUR", 10),
    Programme("IT-RVAR", "IT", "EUR", 9),
)
# the demo's caseload arrived over the last eighteen months: two thirds within the twelve of its
# report, and the rest earlier, so that the six- and twelve-month visits of the earlier arrivals
# fall due within the report's year (a report's coverage counts the visits due in its period)
ARRIVAL_DAYS = 548
# a share of registrations name no programme: intake takes the sending country's
NO_PROGRAMME_NAMED = 0.25

# how far a case gets: registered (interview pending), closed (unreachable...), assessed (referred,
# no plan yet), plan proposed (awaiting a supervisor), plan approved (a grant follows)
STAGES = {"registered": 8, "closed": 5, "assessed": 17, "plan_proposed": 12, "plan_approved": 58}
CLOSURE_REASONS = {"unreachable": 5, "withdrew": 3, "re_migrated": 2}
SKILLS = (
    "construction", "agriculture", "driving", "cooking", "tailoring", "hairdressing", "welding",
    "retail", "caregiving", "IT support", "carpentry", "cleaning",
)  # fmt: skip
SECTORS = ("construction", "agriculture", "hospitality", "manufacturing", "transport", "retail", "care work")
TRAININGS = (
    "welding", "hairdressing", "electrical installation", "cooking", "forklift driving", "IT basics",
    "tailoring", "plumbing", "caregiving", "beekeeping",
)  # fmt: skip
BUSINESS_SECTORS = ("agriculture", "food_processing", "retail", "hospitality", "crafts", "repair",
                    "transport", "personal_services")  # fmt: skip
PLAN_STAGES = {"idea": 4, "plan_drafted": 3, "plan_ready": 2, "trading": 1}
# what a caseworker requests for each service need (major units of EUR or CHF; NOK is worth about
# a tenth of either, so its amounts are ten times these)
SERVICE_LINES = {"employment": ("job_placement", 600), "vocational_training": ("vocational_training", 900),
                 "micro_business": ("micro_business", 2500)}  # fmt: skip


@dataclass
class PlannedCase:
    number: int
    programme: Programme
    registration: dict[str, Any]
    stage: str
    assessment: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    closure: dict[str, Any] | None = None
    verify_business_plan: bool = False  # finance verifies the micro-business plan during the demo
    needs: list[str] = field(default_factory=list)
    # announced before the flight (issue 13): reception and transport are referred, and reception
    # confirms the arrival before the casework goes on as for a walk-in
    announced: bool = False

    def announcement(self, scheduled: datetime) -> dict[str, Any]:
        """The registration as a pre-arrival notice: the flight instead of an arrival date, and
        reception and transport (consented) besides the needs."""
        body = {k: v for k, v in self.registration.items() if k != "arrival_date"}
        arrival_needs = ["airport_reception", "transport"]
        return body | {
            "mode": "flight",
            "carrier": "Wizz Air",
            "number": f"W6 {4000 + self.number}",
            "arrival_point": "SKP",
            "scheduled_at": scheduled.isoformat(timespec="seconds"),
            "needs": arrival_needs,
            "consent": {**self.registration["consent"], **dict.fromkeys(arrival_needs, True)},
        }

    @property
    def requested_total(self) -> int:
        return sum(line["requested"]["amount"] for line in (self.plan or {}).get("assistance", []))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _born(rng: random.Random, today: date, age: int) -> str:
    return (today.replace(year=today.year - age - 1) + timedelta(days=rng.randint(1, 364))).isoformat()


def _member(
    rng: random.Random, fam: Family, today: date, age: int, sex: str, relationship: str
) -> dict[str, Any]:
    return {
        "name": fam.name(rng, sex),
        "date_of_birth": _born(rng, today, age),
        "sex": sex,
        "relationship": relationship,
    }


def _children(
    rng: random.Random, fam: Family, today: date, parent_age: int, count: int
) -> list[dict[str, Any]]:
    oldest = max(1, min(17, parent_age - 18))
    return [
        _member(rng, fam, today, rng.randint(0, oldest), rng.choice(("female", "male")), "child")
        for _ in range(count)
    ]


def household(rng: random.Random, today: date) -> tuple[list[dict[str, Any]], set[str]]:
    """(members, vulnerabilities) of one case."""
    fam = family(rng)
    kind = rng.random()
    vulnerabilities: set[str] = set()
    if kind < 0.05:  # an unaccompanied minor
        members = [
            _member(rng, fam, today, rng.randint(14, 17), rng.choice(("male", "male", "female")), "principal")
        ]
        vulnerabilities.add("unaccompanied_minor")
    elif kind < 0.13:  # a victim of trafficking, sometimes with a small child
        age = rng.randint(18, 34)
        members = [_member(rng, fam, today, age, "female" if rng.random() < 0.85 else "male", "principal")]
        vulnerabilities.add("victim_of_trafficking")
        if rng.random() < 0.3:
            members += _children(rng, fam, today, age, 1)
            vulnerabilities.add("single_parent")
    elif kind < 0.33:  # a single parent with children
        age = rng.randint(24, 48)
        members = [_member(rng, fam, today, age, "female" if rng.random() < 0.8 else "male", "principal")]
        members += _children(rng, fam, today, age, rng.randint(1, 3))
        vulnerabilities.add("single_parent")
    elif kind < 0.55:  # a couple, usually with children, sometimes with a grandparent
        age = rng.randint(25, 50)
        sex = "male" if rng.random() < 0.7 else "female"
        members = [_member(rng, fam, today, age, sex, "principal")]
        members.append(
            _member(
                rng, fam, today, age + rng.randint(-4, 4), "female" if sex == "male" else "male", "spouse"
            )
        )
        members += _children(rng, fam, today, age, rng.choice((0, 1, 2, 2, 3, 4)))
        if rng.random() < 0.12:
            members.append(
                _member(
                    rng,
                    fam,
                    today,
                    max(60, age + rng.randint(22, 30)),
                    rng.choice(("female", "male")),
                    "parent",
                )
            )
            vulnerabilities.add("elderly")
    else:  # a single adult, sometimes older
        age = rng.randint(62, 78) if rng.random() < 0.08 else rng.randint(19, 55)
        members = [_member(rng, fam, today, age, "male" if rng.random() < 0.75 else "female", "principal")]
        if age >= 62:
            vulnerabilities.add("elderly")
    _distinct_names(rng, fam, members)
    if "unaccompanied_minor" not in vulnerabilities and rng.random() < 0.15:
        vulnerabilities.add("medical_condition")
    if rng.random() < 0.03:
        vulnerabilities.add("disability")
    if rng.random() < 0.7:
        document = rng.choice(("passport", "travel_document", "national_id"))
        members[0]["identity_document"] = {
            "type": document,
            "number": f"{rng.choice('ABM')}{rng.randint(10**6, 10**7 - 1)}",
        }
    return members, vulnerabilities


def _distinct_names(rng: random.Random, fam: Family, members: list[dict[str, Any]]) -> None:
    """A mother and daughter both called Medina are possible, but a demo reads better without."""
    seen: set[str] = set()
    for member in members:
        for _ in range(20):
            if member["name"] not in seen:
                break
            member["name"] = fam.name(rng, member["sex"])
        seen.add(member["name"])


def _ages(members: list[dict[str, Any]], today: date) -> list[int]:
    return [today.year - int(m["date_of_birth"][:4]) for m in members]


def needs_of(
    rng: random.Random, members: list[dict[str, Any]], vulnerabilities: set[str], today: date
) -> list[str]:
    ages = _ages(members, today)
    needs = []
    if rng.random() < 0.6 or vulnerabilities & {"unaccompanied_minor", "victim_of_trafficking"}:
        needs.append("housing")
    if any(5 <= a <= 18 for a in ages) and rng.random() < 0.9:
        needs.append("education")
    if ages[0] >= 18 and ages[0] < 62:  # work: a job, a training first, or a business of their own
        roll = rng.random()
        if roll < 0.4:
            needs.append("employment")
        elif roll < 0.6:
            needs.append("vocational_training")
        elif roll < 0.75:
            needs.append("micro_business")
    if vulnerabilities & {"medical_condition", "disability"} and rng.random() < 0.9:
        needs.append("medical")
    trauma = vulnerabilities & {"unaccompanied_minor", "victim_of_trafficking"}
    if (trauma and rng.random() < 0.95) or rng.random() < 0.1:
        needs.append("counselling")
    return needs


def _line(kind: str, major_units: int, currency: str) -> dict[str, Any]:
    return {"assistance_type": kind, "requested": {"amount": major_units * 100, "currency": currency}}


def plan_for(
    rng: random.Random, programme: Programme, members: list[dict[str, Any]], needs: list[str], today: date
) -> dict[str, Any]:
    """What a caseworker would propose under this programme (grants caps it by the donor's rules)."""
    ages = _ages(members, today)
    adults, children = sum(a >= 18 for a in ages), sum(a < 18 for a in ages)
    cur = programme.currency
    k = 10 if cur == "NOK" else 1
    services = [SERVICE_LINES[n] for n in needs if n in SERVICE_LINES]
    if programme.id == "NL-AVRR":
        lines = [_line("cash", 300, cur), _line("in_kind", 350 * len(members), cur)]
        if "housing" in needs:
            lines.append(_line("housing", 700, cur))
        lines += [_line(kind, 900, cur) for kind, _ in services]
        if "education" in needs:
            lines.append(_line("education", 400 * max(1, children), cur))
    elif programme.id == "CH-RKH":
        lines = [_line("cash", 650 * max(adults, 1) + 250 * children, cur)]
        if "housing" in needs:
            lines.append(_line("housing", 500, cur))
        lines += [_line(kind, 2500, cur) for kind, _ in services if kind != "job_placement"]
    elif programme.id == "DE-STARTHILFEPLUS":
        lines = [_line("cash", 800 * max(adults, 1) + 400 * children, cur)]
        if "housing" in needs:
            lines.append(_line("housing", 500, cur))
    else:  # Norway, Finland, Belgium, Italy: a cash part, the rest in kind and for the services needed
        lines = [_line("cash", k * (400 * adults + 200 * children), cur)]
        if programme.id != "NO-VARP":
            lines.append(_line("in_kind", 600 * len(members), cur))
        if "housing" in needs and programme.id != "NO-VARP":
            lines.append(_line("housing", 700, cur))
        if "education" in needs and programme.id != "BE-FEDASIL":
            lines.append(_line("education", k * 400 * max(1, children), cur))
        funded = {"job_placement"} if programme.id in ("FI-AVRR", "NO-VARP") else set()
        lines += [
            _line(kind, k * amount, cur)
            for kind, amount in services
            if kind != "job_placement" or kind in funded
        ]
    return {"assistance": lines, "note": "proposed after the reintegration interview"}


def arrival_day(number: int, today: date) -> date:
    """Arrivals spread over the last eighteen months (the demo back-dates instead of simulating a
    clock): installments that wait for days after arrival fall due at once, and monitoring visits
    months after arrival have happened. Drawn apart from the caseload's own sequence."""
    rng = random.Random(f"arrival-{number}")  # noqa: S311 - an invented caseload, not a secret
    return today - timedelta(days=rng.randint(0, ARRIVAL_DAYS - 1))


def planned_case(number: int, rng: random.Random, today: date) -> PlannedCase:
    programme = rng.choices(PROGRAMMES, weights=[p.weight for p in PROGRAMMES])[0]
    members, vulnerabilities = household(rng, today)
    needs = needs_of(rng, members, vulnerabilities, today)
    # most agree to share with every partner they need; some keep one category back
    consent = {n: True for n in needs}
    if needs and rng.random() < 0.08:
        consent[rng.choice(needs)] = False
    stage = _weighted(rng, STAGES)
    registration: dict[str, Any] = {
        "members": members,
        "programme_id": programme.id,
        "country_of_return": "MK",
        "municipality": _weighted(rng, MUNICIPALITIES),
        "sending_country": programme.sending_country,
        "arrival_date": arrival_day(number, today).isoformat(),
        "vulnerabilities": sorted(vulnerabilities),
        "consent": consent,
    }
    if random.Random(f"programme-{number}").random() < NO_PROGRAMME_NAMED:  # noqa: S311 - invented
        del registration["programme_id"]  # the sending country's programme: the same one
    # one case in four is announced by the sending mission before the flight (drawn apart from the
    # caseload's own sequence, so a seeded caseload stays as it was)
    announced = stage != "closed" and number % 4 == 0
    case = PlannedCase(number, programme, registration, stage, needs=needs, announced=announced)
    if stage == "closed":
        case.closure = {"reason": _weighted(rng, CLOSURE_REASONS)}
        return case
    if stage == "registered":
        return case
    adult = _ages(members, today)[0] >= 18
    case.assessment = {
        "needs": needs,
        "vulnerabilities": sorted(vulnerabilities),
        "skills": rng.sample(SKILLS, rng.randint(1, 3)) if adult else [],
        "work_history": [{"sector": rng.choice(SECTORS), "years": rng.randint(1, 15)}]
        if adult and rng.random() < 0.7
        else [],
        **_service_details(number, needs),
        **_urgency(number),
    }
    if stage in ("plan_proposed", "plan_approved"):
        case.plan = plan_for(rng, programme, members, needs, today)
        kinds = {line["assistance_type"] for line in case.plan["assistance"]}
        case.verify_business_plan = "micro_business" in kinds and rng.random() < 0.6
    return case


def _service_details(number: int, needs: list[str]) -> dict[str, Any]:
    """What a training centre and a business advisory service are told: the training wanted, the
    business's sector and plan stage (drawn apart from the caseload's sequence, as the urgency)."""
    rng = random.Random(f"services-{number}")  # noqa: S311 - an invented caseload, not a secret
    details: dict[str, Any] = {}
    if "vocational_training" in needs:
        details["training_wanted"] = rng.sample(TRAININGS, rng.randint(1, 2))
    if "micro_business" in needs:
        details["business_sector"] = rng.choice(BUSINESS_SECTORS)
        details["business_plan_stage"] = _weighted(rng, PLAN_STAGES)
    return details


URGENCY_REASONS = ["safety_risk", "health_risk", "no_shelter", "young_children", "loss_of_income"]


def _urgency(number: int) -> dict[str, str]:
    """The caseworker's judgement: about one case in ten urgent and one in five high, each with its
    reason. Drawn apart from the caseload's own sequence, so the rest of a seeded caseload stays
    as it was."""
    rng = random.Random(f"urgency-{number}")  # noqa: S311 - an invented caseload, not a secret
    roll = rng.random()
    if roll < 0.1:
        return {"urgency": "urgent", "urgency_reason": rng.choice(URGENCY_REASONS)}
    if roll < 0.3:
        return {"urgency": "high", "urgency_reason": rng.choice(URGENCY_REASONS)}
    return {"urgency": "normal"}


def caseload(count: int, seed: int, today: date) -> list[PlannedCase]:
    rng = random.Random(seed)  # noqa: S311 - an invented caseload, not a secret
    return [planned_case(number, rng, today) for number in range(1, count + 1)]
