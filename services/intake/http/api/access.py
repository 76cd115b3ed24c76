"""`/v1/cases/{id}/access-log` and `/v1/access-log?user_id=`: the access log, for the
data-protection officer (the shared operations, scoped to the officer's programmes here)."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request

from services.intake.http.deps import intake_of
from services.intake.use_cases import cases as use_cases
from shared.http.access_log import access_log_router
from shared.identity.model import User


async def case_in_scope(request: Request, user: User, case_id: UUID) -> bool:
    return await use_cases.case_in_scope(intake_of(request), case_id, user)


router = access_log_router(case_in_scope)
