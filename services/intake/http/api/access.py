"""`/v1/cases/{id}/access-log` and `/v1/access-log?user_id=`: the access log, for the
data-protection officer (the shared operations, within the officer's programmes and cases)."""

from __future__ import annotations

from services.intake.store.cases import ACCESS_LOG_CASES
from shared.http.access_log import access_log_router

router = access_log_router(ACCESS_LOG_CASES)
