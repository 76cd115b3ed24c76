"""Casework through intake's API: a caseworker registers each returnee, interviews them (the
assessment), proposes a plan; a supervisor approves it; a few cases close before that."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.demo.caseload import PlannedCase
from homeward.demo.client import Api, ApiError
from homeward.demo.team import Team


@dataclass
class CaseRecord:
    """What the demo did with one planned case."""

    planned: PlannedCase
    case_id: str | None = None
    plan_id: str | None = None
    error: str | None = None


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


async def work_case(api: Api, team: Team, run_id: str, case: PlannedCase) -> CaseRecord:
    record = CaseRecord(case)
    caseworker = team.caseworker(case.number).token
    try:
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
    except ApiError as error:
        record.error = str(error)
    return record
