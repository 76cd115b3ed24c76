"""`/healthz`: the process answers. `/readyz`: the database answers and the broker is connected."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = {"database": False, "broker": False}
    state = request.app.state
    runtime, broker = getattr(state, "runtime", None), getattr(state, "broker", None)
    if runtime is not None:
        try:
            checks["database"] = await asyncio.wait_for(runtime.pool.fetchval("SELECT true"), 2.0) is True
        except Exception:
            checks["database"] = False
    if broker is not None:
        try:
            checks["broker"] = bool(await broker.ping(timeout=2.0))
        except Exception:
            checks["broker"] = False
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503
    )
