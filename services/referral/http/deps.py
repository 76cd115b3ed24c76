"""What every referral route depends on: who may read, and the app's pool and partner directory."""

from __future__ import annotations

from fastapi import Request

from services.referral.core.directory import Directory
from services.referral.use_cases.context import ReferralContext
from shared.db import Pool
from shared.http.auth import require_roles
from shared.identity.model import Role

readers = require_roles(Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)
# `pool` and `directory` are `async` though they await nothing: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hand-off on every request (`context_of` is called)


async def pool(request: Request) -> Pool:
    found: Pool = request.app.state.pool
    return found


async def directory(request: Request) -> Directory:
    found: Directory = request.app.state.directory
    return found


def context_of(request: Request) -> ReferralContext:
    found: ReferralContext = request.app.state.context
    return found
