"""Every 4xx and 5xx answer, in every service: RFC 9457 `application/problem+json`.

    {"type": "/problems/validation-failed", "title": "The request is not valid", "status": 422,
     "detail": "the request has 2 problem(s); nothing was changed",
     "instance": "urn:uuid:<the request's correlation id>",
     "errors": [{"in": "body", "pointer": "/members/0/name", "detail": "Field required"}]}

`type` is stable per kind of problem (clients branch on it, never on the text); `instance` names
the request, so an answer can be found in the logs; a 422 lists every invalid field. Services
raise `ProblemError` (or map their own exceptions to a `ProblemType` with `install_problems`);
FastAPI's and Starlette's own errors (404 for an unknown path, 405, parameter validation) are
turned into the same shape here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.events.envelope import current_correlation_id

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("shared.http")


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


BAD_REQUEST = ProblemType("bad-request", 400, "The request cannot be read")
UNAUTHENTICATED = ProblemType("unauthenticated", 401, "Sign-in required")
FORBIDDEN = ProblemType("forbidden", 403, "Not allowed")
NOT_FOUND = ProblemType("not-found", 404, "Not found")
METHOD_NOT_ALLOWED = ProblemType("method-not-allowed", 405, "Method not allowed")
NOT_ACCEPTABLE = ProblemType("not-acceptable", 406, "No acceptable representation")
CONFLICT = ProblemType("conflict", 409, "The request conflicts with the current state")
TOO_LARGE = ProblemType("body-too-large", 413, "The request body is too large")
UNSUPPORTED_MEDIA_TYPE = ProblemType("unsupported-media-type", 415, "Unsupported content type")
VALIDATION_FAILED = ProblemType("validation-failed", 422, "The request is not valid")
RATE_LIMITED = ProblemType("rate-limited", 429, "Too many requests")
INTERNAL = ProblemType("internal-error", 500, "Something went wrong on our side")
UNAVAILABLE = ProblemType("unavailable", 503, "The service cannot answer now")

_BY_STATUS: dict[int, ProblemType] = {
    kind.status: kind
    for kind in (
        BAD_REQUEST,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        NOT_ACCEPTABLE,
        CONFLICT,
        TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        VALIDATION_FAILED,
        RATE_LIMITED,
        INTERNAL,
        UNAVAILABLE,
    )
}


def problem_type_for(status: int) -> ProblemType:
    return _BY_STATUS.get(status) or ProblemType(f"http-{status}", status, "Error")


class FieldProblem(BaseModel):
    """One invalid part of a request: where (`in`, and a JSON pointer within it) and why."""

    model_config = ConfigDict(populate_by_name=True)

    in_: Literal["body", "query", "path", "header", "cookie", "form"] = Field(alias="in")
    pointer: str = Field(description="a JSON pointer (RFC 6901) into that part: /members/0/name, /limit")
    detail: str


class Problem(BaseModel):
    """The body of every error answer (RFC 9457). Extension members may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a stable URI reference per kind of problem; branch on it")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="urn:uuid: of the request's correlation id")
    errors: list[FieldProblem] | None = Field(default=None, description="every invalid field (422)")


class ProblemError(Exception):
    """Raise to answer with a problem. `extra` becomes extension members of the body."""

    def __init__(
        self,
        kind: ProblemType,
        detail: str,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def pointer(path: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) to `path`: ~ and / inside a name are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def problem_body(
    kind: ProblemType,
    detail: str,
    *,
    errors: Sequence[FieldProblem] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    correlation = current_correlation_id.get()
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": f"urn:uuid:{correlation}" if correlation else None,
    }
    if body["instance"] is None:
        del body["instance"]
    if errors is not None:
        body["errors"] = [e.model_dump(by_alias=True) for e in errors]
    body.update(extra or {})
    return body


def problem_response(
    kind: ProblemType,
    detail: str,
    *,
    errors: Sequence[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(kind, detail, errors=errors, extra=extra),
        status_code=kind.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def problem_bytes(kind: ProblemType, detail: str) -> bytes:
    """The body for answers sent below FastAPI (the ASGI middlewares: 413, 429, 503)."""
    return bytes(JSONResponse(problem_body(kind, detail)).body)


def validation_problems(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """pydantic/FastAPI error dicts (`loc`, `msg`) as field problems. FastAPI's `loc` starts with
    where the value came from (body, query, path, header, cookie); a model validated by hand
    (`in_body=True`) has no such first part."""
    problems = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part is not None]
        where = loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        rest = loc[1:] if loc and loc[0] == where else loc
        problems.append(
            FieldProblem(in_=where, pointer=pointer(rest), detail=str(error.get("msg", "invalid")))
        )
    return problems


def validation_error(problems: Sequence[FieldProblem]) -> ProblemError:
    return ProblemError(
        VALIDATION_FAILED,
        f"the request has {len(problems)} problem(s); nothing was changed",
        errors=problems,
    )


def install_problems(app: FastAPI, mapping: Mapping[type[Exception], ProblemType] | None = None) -> None:
    """Answer every error with a problem: `ProblemError`, FastAPI's and Starlette's own errors, the
    service's exceptions named in `mapping` (their message becomes the detail), and — as a 500
    whose detail says nothing of the cause — anything unexpected."""

    async def on_problem(_: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, ProblemError):  # registered for this type only
            raise error
        return problem_response(
            error.kind, error.detail, errors=error.errors, headers=error.headers, extra=error.extra
        )

    async def on_http(_: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, StarletteHTTPException):  # registered for this type only
            raise error
        kind = problem_type_for(error.status_code)
        detail = error.detail if isinstance(error.detail, str) else kind.title
        return problem_response(kind, detail, headers=error.headers)

    async def on_invalid(_: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, RequestValidationError):  # registered for this type only
            raise error
        problem = validation_error(validation_problems(error.errors()))
        return problem_response(problem.kind, problem.detail, errors=problem.errors)

    async def on_unexpected(_: Request, error: Exception) -> JSONResponse:
        log.error("request failed", error_type=type(error).__name__, exc_info=error, alert=True)
        return problem_response(INTERNAL, "the request could not be completed; it has been logged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    for exception, kind in (mapping or {}).items():
        app.add_exception_handler(exception, _mapped(kind))
    app.add_exception_handler(Exception, on_unexpected)


def _mapped(kind: ProblemType) -> Any:
    async def handler(_: Request, error: Exception) -> JSONResponse:
        return problem_response(kind, str(error) or kind.title)

    return handler
