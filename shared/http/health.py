"""`/healthz` (the process answers) and `/readyz` (every dependency answers), the same in every service.

A service registers its readiness checks when its lifespan has started what they check
(`set_readiness(app, {"database": database_check(pool), "broker": broker_check(broker)})`). A check
raises when its dependency is down; `/readyz` then answers 503 (problem+json) naming each dependency
that is down and why, and logs it — an error is reported, never swallowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.db import Overloaded, Pool

from .i18n import N_
from .problems import UNAVAILABLE, Problem, problem_response

ReadinessCheck = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_S = 2.0
log = structlog.get_logger("shared.http.health")


class DependencyDown(Exception):
    pass


def database_check(pool: Pool) -> ReadinessCheck:
    async def check() -> None:
        try:
            await pool.fetchval("SELECT 1", timeout=CHECK_TIMEOUT_S)
        except Overloaded:
            # every connection is in use, answering requests: the database is up and the service
            # busy, which its 503s to those past its limit already say. Not ready would take every
            # busy replica out of the load balancer at once — an overload made an outage.
            return

    return check


def broker_check(broker: Any) -> ReadinessCheck:
    """A faststream broker: connected and answering a metadata request."""

    async def check() -> None:
        if not await broker.ping(timeout=CHECK_TIMEOUT_S):
            raise DependencyDown("the broker did not answer a metadata request")

    return check


def set_readiness(app: FastAPI, checks: Mapping[str, ReadinessCheck]) -> None:
    app.state.readiness = dict(checks)


class DependencyState(BaseModel):
    status: Literal["up", "down"]
    error: str | None = None


class Alive(BaseModel):
    status: Literal["alive"]


class Ready(BaseModel):
    status: Literal["ready"]
    checks: dict[str, DependencyState]


class NotReady(Problem):
    checks: dict[str, DependencyState]


router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Alive, summary="The process answers")
async def healthz() -> Alive:
    return Alive(status="alive")


@router.get(
    "/readyz",
    response_model=Ready,
    summary="Every dependency answers",
    responses={503: {"model": NotReady, "description": "a dependency is down (named in `checks`)"}},
)
async def readyz(request: Request) -> Ready | JSONResponse:
    checks: Mapping[str, ReadinessCheck] | None = getattr(request.app.state, "readiness", None)
    if checks is None:
        return problem_response(
            UNAVAILABLE, N_("the service is starting or stopping"), headers={"Retry-After": "1"}
        )
    names = list(checks)
    results = await asyncio.gather(
        *(asyncio.wait_for(checks[name](), CHECK_TIMEOUT_S + 1) for name in names), return_exceptions=True
    )
    states: dict[str, DependencyState] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            error = f"{type(result).__name__}: {result}" if str(result) else type(result).__name__
            log.warning("readiness: a dependency is down", dependency=name, error=error)
            states[name] = DependencyState(status="down", error=error)
        else:
            states[name] = DependencyState(status="up")
    down = [name for name, state in states.items() if state.status == "down"]
    if down:
        return problem_response(
            UNAVAILABLE,
            f"not ready: {', '.join(down)} {'is' if len(down) == 1 else 'are'} down",
            headers={"Retry-After": "5"},
            extra={"checks": {name: state.model_dump(exclude_none=True) for name, state in states.items()}},
        )
    return Ready(status="ready", checks=states)
