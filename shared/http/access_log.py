"""The access log over HTTP, for the data-protection officer: per case and per user. The same two
operations in every service, each reading its own service's log.

    app.include_router(access_log_router(case_scope))

`case_scope(request, user, case_id)` answers whether the case is one this officer may see (intake
checks the case's programme); a case they may not see is no case at all to them (404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from shared import access_log
from shared.db import Pool
from shared.identity.model import Role, User

from .auth import require_roles
from .params import known_query_only
from .problems import NOT_FOUND, ProblemError

CaseScope = Callable[[Request, User, UUID], Awaitable[bool]]

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


def access_log_router(case_scope: CaseScope | None = None) -> APIRouter:
    router = APIRouter(tags=["access log"], dependencies=[Depends(known_query_only)])

    @router.get("/v1/cases/{case_id}/access-log", response_model=AccessLog)
    async def case_access_log(
        case_id: UUID,
        request: Request,
        officer: Officer,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> AccessLog:
        """Who read or changed this case's data in this service, when, how and why; oldest first."""
        if case_scope is not None and not await case_scope(request, officer, case_id):
            raise ProblemError(NOT_FOUND, f"no case {case_id}")
        return _out(await access_log.for_case(_pool(request), case_id, limit=limit))

    @router.get("/v1/access-log", response_model=AccessLog)
    async def user_access_log(
        request: Request,
        _: Officer,
        user_id: Annotated[UUID, Query(description="whose accesses")],
        after_id: Annotated[int, Query(ge=0, le=MAX_ID, description="continue after this entry")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> AccessLog:
        """Every case one user read or changed in this service, oldest first."""
        return _out(await access_log.for_actor(_pool(request), user_id, after_id=after_id, limit=limit))

    return router
