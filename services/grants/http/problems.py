"""Domain refusals as HTTP answers: each kind of GrantsError is one kind of problem."""

from __future__ import annotations

from services.grants.core.errors import Conflict, FourEyesViolation, InvalidRequest, NotFound
from shared.http.problems import CONFLICT, NOT_FOUND, VALIDATION_FAILED, ProblemType

FOUR_EYES = ProblemType("four-eyes", 403, "Another officer must do this")

PROBLEMS: dict[type[Exception], ProblemType] = {
    NotFound: NOT_FOUND,
    Conflict: CONFLICT,
    FourEyesViolation: FOUR_EYES,
    InvalidRequest: VALIDATION_FAILED,
}
