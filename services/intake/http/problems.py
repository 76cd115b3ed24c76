"""Intake's refusals as problem+json answers (RFC 9457): each of its errors mapped to a problem type,
and its validation problems as the shared 422 body."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.intake.core.errors import (
    CaseConflict,
    CaseNotFound,
    DuplicateSuspected,
    DutiesNotSeparated,
    IdempotencyKeyReused,
    LikelyDuplicate,
)
from services.intake.core.validation import Invalid, Problem
from shared.http.i18n import N_
from shared.http.problems import (
    CONFLICT,
    NOT_FOUND,
    FieldProblem,
    ProblemType,
    language_of_request,
    pointer,
    problem_response,
    validation_error,
)


def field_problems(problems: list[Problem]) -> list[FieldProblem]:
    """Intake's problems (a path into the body, or ("header", name)) as the shared 422 items."""
    out = []
    for p in problems:
        if p.loc and p.loc[0] == "header":
            out.append(FieldProblem(in_="header", pointer=pointer(p.loc[1:]), detail=p.message))
        else:
            loc = p.loc[1:] if p.loc[:1] == ("body",) else p.loc
            out.append(FieldProblem(in_="body", pointer=pointer(loc), detail=p.message))
    return out


def _problems(problems: list[Problem], lang: str) -> JSONResponse:
    """The 422: each field's message in `lang` where it is a catalogue message (the rules' constant
    ones, services/intake/http/pages/labels.py); pydantic's own and those naming a value in English."""
    error = validation_error(field_problems(problems))
    return problem_response(
        error.kind, error.detail, errors=error.errors, variables=error.variables, lang=lang
    )


DUPLICATE = ProblemType("likely-duplicate", 409, N_("A person in this request is likely in a case already"))
IDEMPOTENCY_KEY_REUSED = ProblemType("idempotency-key-reused", 422, N_("The Idempotency-Key was used before"))

# the refusals whose message is the detail; the others have handlers below
# separation of duties: the one who proposed a plan may not approve it (a conflict of its own kind,
# so that a client can tell "ask another supervisor" from "the case's state does not allow this")
DUTIES_NOT_SEPARATED = ProblemType("duties-not-separated", 409, N_("Another person must do this"))

PROBLEMS: dict[type[Exception], ProblemType] = {
    CaseConflict: CONFLICT,
    DutiesNotSeparated: DUTIES_NOT_SEPARATED,
}

# `responses=` of every route that changes a case: its state may refuse the change (CaseConflict)
CASE_STATE_CONFLICT: dict[int | str, dict[str, object]] = {
    409: {"description": "the case's state does not allow this (it is closed, its plan is approved...)"}
}


def candidate_json(match: LikelyDuplicate) -> dict[str, object]:
    """A likely duplicate as the API shows it: `case_id` null for a case the user may not see."""
    return {
        "member": match.member,
        "case_id": str(match.case_id) if match.case_id else None,
        "case_member": match.case_member,
        "score": match.score,
        "reasons": list(match.reasons),
    }


def install_error_handlers(app: FastAPI) -> None:
    async def invalid(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, Invalid):
            raise error
        return _problems(error.problems, language_of_request(request))

    async def not_found(request: Request, error: Exception) -> JSONResponse:
        lang = language_of_request(request)
        return problem_response(NOT_FOUND, N_("no case %(id)s"), variables={"id": str(error)}, lang=lang)

    async def duplicate(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, DuplicateSuspected):
            raise error
        shown = [m.case_id for m in error.matches if m.case_id is not None]
        return problem_response(
            DUPLICATE,
            N_(
                "likely duplicate: someone in this registration is likely a person in an existing case"
                " (each candidate's score and reasons are listed); send confirm_distinct_person: true"
                " if they are other people, and the pairs are not raised again"
            ),
            lang=language_of_request(request),
            extra={
                "existing_case_id": str(shown[0]) if shown else None,
                "candidates": [candidate_json(m) for m in error.matches],
            },
        )

    async def key_reused(request: Request, error: Exception) -> JSONResponse:
        problem = FieldProblem(
            in_="header",
            pointer="/Idempotency-Key",
            detail=N_("this key was already used for a different request"),
        )
        return problem_response(
            IDEMPOTENCY_KEY_REUSED,
            N_("the Idempotency-Key was already used for a different request"),
            errors=[problem],
            lang=language_of_request(request),
        )

    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(CaseNotFound, not_found)
    app.add_exception_handler(DuplicateSuspected, duplicate)
    app.add_exception_handler(IdempotencyKeyReused, key_reused)
