"""Reporting's refusals as HTTP answers."""

from __future__ import annotations

from services.reporting.core.errors import InvalidPeriod, NotFound
from shared.http.problems import NOT_FOUND, VALIDATION_FAILED, ProblemType

PROBLEMS: dict[type[Exception], ProblemType] = {NotFound: NOT_FOUND, InvalidPeriod: VALIDATION_FAILED}
