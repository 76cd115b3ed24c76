"""The access log over HTTP, for the data-protection officer: per case and per user. The same two
operations in every service, each reading its own service's log.

    app.include_router(access_log_router(CASES))

`CASES` (an `access_log.CaseIndex`, a constant of the service's store) says where the service finds
each case's programme and assignment: the officer reads the log of the cases within their scope
only. A case outside it is no case at all to them (404), and a user's accesses to it are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from shared import access_log
from shared.db import Pool
from shared.identity.model import Role, User

from .auth import require_roles
from .i18n import N_
from .params import known_query_only
from .problems import NOT_FOUND, ProblemError

Officer = Annotated[User, Depends(require_roles(Role.DPO))]
MAX_ID = 2**63 - 1


class AccessEntryOut(BaseModel):
    id: int
    at: datetime
    actor_id: UUID | None  # None: the service itself (the retention job) or an operator's command
    actor: str
    role: str
    action: str
    case_id: UUID
    purpose: str


class AccessLog(BaseModel):
    entries: list[AccessEntryOut]


def _pool(request: Request) -> Pool:
    pool: Pool = request.app.state.runtime.pool
    return pool


def _out(entries: list[access_log.AccessEntry]) -> AccessLog:
    return AccessLog(entries=[AccessEntryOut.model_validate(e, from_attributes=True) for e in entries])


def _scope(cases: access_log.CaseIndex, officer: User) -> access_log.Scope:
    return access_log.Scope(cases, officer.programme_scope(), officer.case_limit())


def access_log_router(cases: access_log.CaseIndex) -> APIRouter:
    router = APIRouter(tags=["access log"], dependencies=[Depends(known_query_only)])

    @router.get("/v1/cases/{case_id}/access-log", response_model=AccessLog)
    async def case_access_log(
        case_id: UUID,
        request: Request,
        officer: Officer,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> AccessLog:
        """Who read or changed this case's data in this service, when, how and why; oldest first."""
        if not await access_log.in_scope(_pool(request), _scope(cases, officer), case_id):
            raise ProblemError(NOT_FOUND, N_("no case %(id)s"), variables={"id": case_id})
        return _out(await access_log.for_case(_pool(request), case_id, limit=limit))

    @router.get("/v1/access-log", response_model=AccessLog)
    async def user_access_log(
        request: Request,
        officer: Officer,
        user_id: Annotated[UUID, Query(description="whose accesses")],
        after_id: Annotated[int, Query(ge=0, le=MAX_ID, description="continue after this entry")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> AccessLog:
        """Every case within your scope one user read or changed in this service, oldest first."""
        scope = _scope(cases, officer)
        return _out(
            await access_log.for_actor(_pool(request), user_id, scope, after_id=after_id, limit=limit)
        )

    return router
