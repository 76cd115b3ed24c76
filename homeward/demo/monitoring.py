"""Monitoring visits through intake's API: a caseworker visits each returnee at the months after
arrival their programme's monitoring schedule names, back-dated to the day (the caseload arrived
over the last twelve months), and records the survey's answers and three findings. The answers are
drawn per case: most households improve from visit to visit, some stay where they were, a few have
left the country again by a visit (and are not visited after it); a supported business is mostly
found operating. Those visits are what outcome milestones wait for: grants makes the installments
due and finance pays them."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from homeward.demo.caseload import PlannedCase
from homeward.demo.client import Api

# each programme's `monitoring.visits_after_months` (deploy/config/donor-policies.yaml; a unit test
# keeps the two equal): no API tells the demo a programme's schedule, only a case's next visit
VISITS_AFTER_MONTHS: dict[str, tuple[int, ...]] = {
    "DE-STARTHILFEPLUS": (6, 12),
    "NL-AVRR": (3, 6, 12),
    "CH-RKH": (3, 6, 12),
    "NO-VARP": (3, 6, 12),
    "FI-AVRR": (3, 6, 12),
    "BE-FEDASIL": (6, 12),
    "IT-RVAR": (3, 6),
}
# how households fare between visits (shares of the monitored caseload)
PATHS = {"improving": 60, "steady": 28, "re_migrating": 12}
STAGES_VISITED = ("assessed", "plan_proposed", "plan_approved")  # open cases with an interview


@dataclass(frozen=True)
class Survey:
    """The survey intake asks (`GET /v1/monitoring/survey`): each indicator's answers, worst first."""

    answers: dict[str, list[str]]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Survey:
        return cls({i["code"]: list(i["answers"]) for i in body["indicators"]})


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter), as intake counts."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def visit_days(programme_id: str, arrival: date, today: date, rng: random.Random) -> list[date]:
    """The days of the scheduled visits that have taken place by today: within two weeks after each
    due day, never after today."""
    days = []
    for months in VISITS_AFTER_MONTHS.get(programme_id, ()):
        due = add_months(arrival, months)
        if due > today:
            break
        days.append(min(today, due + timedelta(days=rng.randint(0, 14))))
    return days


def _answers(survey: Survey, level: float, rng: random.Random) -> dict[str, str]:
    """An answer per indicator around `level` (0 the worst answer, 1 the best)."""
    chosen = {}
    for code, answers in survey.answers.items():
        position = min(1.0, max(0.0, level + rng.uniform(-0.25, 0.25)))
        chosen[code] = answers[round(position * (len(answers) - 1))]
    return chosen


def visits_for(case: PlannedCase, survey: Survey, today: date) -> list[dict[str, Any]]:
    """The visit reports (`POST /v1/cases/{id}/monitoring-visits` bodies) of one case, oldest first.
    Pure and seeded by the case's number."""
    if case.stage not in STAGES_VISITED or case.announced:  # an announced case arrives today
        return []
    rng = random.Random(f"visits-{case.number}")  # noqa: S311 - an invented caseload, not a secret
    arrival = date.fromisoformat(case.registration["arrival_date"])
    days = visit_days(case.programme.id, arrival, today, rng)
    path = rng.choices(list(PATHS), weights=list(PATHS.values()))[0]
    leaves_at = rng.randrange(len(days)) if days and path == "re_migrating" else None
    business = case.plan is not None and any(
        line["assistance_type"] == "micro_business" for line in case.plan["assistance"]
    )
    operating = rng.random() < 0.8
    level = rng.uniform(0.2, 0.5)
    reports = []
    for n, day in enumerate(days):
        gone = n == leaves_at
        reports.append(
            {
                "visited_on": day.isoformat(),
                "answers": _answers(survey, level, rng),
                # seen at every visit while there is a business to see
                "business_operating": (operating and not gone) if business else None,
                "in_municipality": not gone and rng.random() < 0.95,
                "re_migrated": gone,
            }
        )
        if gone:
            break  # no one to visit any more
        level += rng.uniform(0.12, 0.25) if path == "improving" else rng.uniform(-0.05, 0.05)
    return reports


async def record_visits(api: Api, token: str, case_id: str, reports: list[dict[str, Any]]) -> int:
    """Record the visits in order (intake numbers them as they come); how many were recorded."""
    for report in reports:
        await api.call("POST", "intake", f"/v1/cases/{case_id}/monitoring-visits", token, json=report)
    return len(reports)
