"""Casework through intake's API: a caseworker registers each returnee (or the sending mission
announces the flight and reception confirms the arrival), interviews them (the assessment),
proposes a plan; a supervisor approves it; a few cases close before that."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from homeward.demo.caseload import PlannedCase
from homeward.demo.client import Api, ApiError
from homeward.demo.monitoring import Survey, record_visits, visits_for
from homeward.demo.team import Team


@dataclass
class CaseRecord:
    """What the demo did with one planned case."""

    planned: PlannedCase
    case_id: str | None = None
    plan_id: str | None = None
    error: str | None = None
    visits: int = 0  # monitoring visits recorded
    re_migrated: bool = False  # a visit found the returnee gone abroad again


async def register(api: Api, team: Team, run_id: str, case: PlannedCase) -> str:
    token = team.caseworker(case.number).token
    key = f"demo-{run_id}-{case.number}"
    try:
        created = await api.call(
            "POST", "intake", "/v1/cases", token, json=case.registration, headers={"Idempotency-Key": key}
        )
    except ApiError as error:
        if error.status != 409:
            raise
        # a likely duplicate: an invented person can share a name and birthday with one of an
        # earlier run; the caseworker checks and confirms it is someone else
        body = {**case.registration, "confirm_distinct_person": True}
        created = await api.call(
            "POST", "intake", "/v1/cases", token, json=body, headers={"Idempotency-Key": f"{key}-distinct"}
        )
    return str(created["id"])


async def announce_and_meet(api: Api, team: Team, case: PlannedCase) -> str:
    """The mission announces tomorrow's flight; reception meets the family (earlier than announced:
    the demo does not wait a day) and confirms the arrival, which registers the case."""
    mission, caseworker = team.mission.token, team.caseworker(case.number).token
    body = case.announcement(datetime.now(UTC) + timedelta(days=1))
    try:
        announced = await api.call("POST", "intake", "/v1/arrivals", mission, json=body)
    except ApiError as error:
        if error.status != 409:
            raise
        body = {**body, "confirm_distinct_person": True}  # someone else of the same name and birthday
        announced = await api.call("POST", "intake", "/v1/arrivals", mission, json=body)
    case_id = str(announced["case_id"])
    await _reception_answered(api, mission, case_id)
    arrived = {
        "arrived_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "met_by": "office_reception_team",
    }
    await api.call("POST", "intake", f"/v1/arrivals/{case_id}/confirm", caseworker, json=arrived)
    return case_id


# how long the demo's reception waits for the reception and transport partners' answers: a
# partner that holds a referral never answers, and its referral is withdrawn on the arrival
ANSWER_WAIT_S = 20.0
ARRIVAL_SERVICES = ("airport_reception", "transport")


async def _reception_answered(api: Api, token: str, case_id: str) -> None:
    """Wait until reception and transport have answered (their partners have accepted, declined
    and been replaced...), as an office would before the flight; an answer to a referral the
    arrival has already withdrawn would be refused."""
    deadline = asyncio.get_running_loop().time() + ANSWER_WAIT_S
    while asyncio.get_running_loop().time() < deadline:
        services = (await api.get("intake", f"/v1/arrivals/{case_id}", token))["services"]
        if all(services.get(c) not in (None, "issued") for c in ARRIVAL_SERVICES):
            return
        await asyncio.sleep(0.5)


async def work_case(
    api: Api, team: Team, run_id: str, case: PlannedCase, survey: Survey, today: date
) -> CaseRecord:
    record = CaseRecord(case)
    caseworker = team.caseworker(case.number).token
    try:
        if case.announced:
            record.case_id = await announce_and_meet(api, team, case)
        else:
            record.case_id = await register(api, team, run_id, case)
        path = f"/v1/cases/{record.case_id}"
        if case.closure is not None:
            await api.call("POST", "intake", f"{path}/close", caseworker, json=case.closure)
            return record
        if case.assessment is not None:
            await api.call("POST", "intake", f"{path}/assessment", caseworker, json=case.assessment)
        if case.plan is not None:
            proposed = await api.call("POST", "intake", f"{path}/plan", caseworker, json=case.plan)
            record.plan_id = str(proposed["plan"]["id"])
        if case.stage == "plan_approved":
            supervisor = team.supervisor(case.number).token
            await api.call(
                "POST", "intake", f"{path}/plan/approve", supervisor, json={"plan_id": record.plan_id}
            )
        # the months since the (back-dated) arrival: the visits the schedule asked for took place
        reports = visits_for(case, survey, today)
        record.visits = await record_visits(api, caseworker, record.case_id, reports)
        record.re_migrated = any(r["re_migrated"] for r in reports)
    except ApiError as error:
        record.error = str(error)
    return record
