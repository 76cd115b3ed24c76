"""Domain refusals as HTTP answers: each kind of GrantsError is one kind of problem."""

from __future__ import annotations

from services.grants.core.errors import Conflict, FourEyesViolation, InvalidRequest, NotFound
from shared.http.i18n import N_
from shared.http.problems import CONFLICT, NOT_FOUND, VALIDATION_FAILED, ProblemType

FOUR_EYES = ProblemType("four-eyes", 403, N_("Another officer must do this"))

PROBLEMS: dict[type[Exception], ProblemType] = {
    NotFound: NOT_FOUND,
    Conflict: CONFLICT,
    FourEyesViolation: FOUR_EYES,
    InvalidRequest: VALIDATION_FAILED,
}

# `responses=` of an operation that can refuse with a Conflict (the document gives it the problem body)
CONFLICTS: dict[int | str, dict[str, str]] = {
    409: {"description": "The request conflicts with the current state"}
}
