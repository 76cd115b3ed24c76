"""The demo's staff: caseworkers, supervisors, finance officers, an auditor and a sending mission,
each a user made through intake's admin-only `POST /v1/users` with the admin token the operator
gave."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from homeward.demo.caseload import PROGRAMMES
from homeward.demo.client import Api, ApiError

STAFF = {"caseworker": 4, "supervisor": 2, "finance": 3, "auditor": 1, "sending_mission": 1}


class AdminTokenRefused(Exception):
    pass


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    token: str


@dataclass(frozen=True)
class Team:
    caseworkers: list[Member]
    supervisors: list[Member]
    officers: list[Member]
    auditor: Member
    mission: Member  # the sending country's mission: announces returns before the flight

    def caseworker(self, number: int) -> Member:
        return self.caseworkers[number % len(self.caseworkers)]

    def supervisor(self, number: int) -> Member:
        return self.supervisors[number % len(self.supervisors)]

    def four_eyes(self, number: int) -> tuple[Member, Member]:
        """(approver, disburser): two different finance officers, in turn."""
        return self.officers[number % len(self.officers)], self.officers[(number + 1) % len(self.officers)]


async def add_member(api: Api, admin_token: str, name: str, role: str) -> Member:
    try:
        added = await api.call(
            "POST",
            "intake",
            "/v1/users",
            admin_token,
            # every programme the caseload uses: a user with none would see nothing
            json={"name": name, "role": role, "expires_in_days": 7, "programmes": [p.id for p in PROGRAMMES]},
        )
    except ApiError as error:
        if error.status in (401, 403):
            raise AdminTokenRefused(
                "intake refused the admin token"
                + (" (not valid)" if error.status == 401 else " (not an admin's)")
                + ": `make run` prints one when it first starts; `homeward users add NAME --role admin`"
                " makes another"
            ) from None
        if error.status == 404:
            raise AdminTokenRefused("this intake has no POST /v1/users: update it to run the demo") from None
        raise
    return Member(name, role, added["token"])


async def hire(api: Api, admin_token: str, run_id: str) -> Team:
    """Make the staff for this run; names carry the run id, so runs never collide."""
    wanted = [
        (f"demo-{run_id}.{role}-{i}", role) for role, count in STAFF.items() for i in range(1, count + 1)
    ]
    members = await asyncio.gather(*(add_member(api, admin_token, name, role) for name, role in wanted))
    by_role: dict[str, list[Member]] = {}
    for member in members:
        by_role.setdefault(member.role, []).append(member)
    return Team(
        by_role["caseworker"],
        by_role["supervisor"],
        by_role["finance"],
        by_role["auditor"][0],
        by_role["sending_mission"][0],
    )
