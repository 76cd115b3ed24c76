"""The use cases' context, as the app's lifespan left it on `app.state` (API and pages alike)."""

from __future__ import annotations

from fastapi import Request

from services.intake.use_cases.context import IntakeContext


def intake_of(request: Request) -> IntakeContext:
    context = request.app.state.intake
    if not isinstance(context, IntakeContext):  # only before the lifespan has started
        raise RuntimeError("intake is not started: app.state.intake is not set")
    return context


async def intake_context(request: Request) -> IntakeContext:
    """`Depends(intake_context)`: async, though it awaits nothing — FastAPI runs a plain `def`
    dependency in a worker thread, a thread hand-off on every request."""
    return intake_of(request)
