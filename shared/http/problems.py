"""Every 4xx and 5xx answer, in every service: RFC 9457 `application/problem+json`.

    {"type": "/problems/validation-failed", "title": "The request is not valid", "status": 422,
     "detail": "the request has 2 problem(s); nothing was changed",
     "instance": "urn:uuid:<the request's correlation id>",
     "errors": [{"in": "body", "pointer": "/members/0/name", "detail": "Field required"}]}

`type` is stable per kind of problem (clients branch on it, never on the text); `instance` names
the request, so an answer can be found in the logs; a 422 lists every invalid field.

`title` and `detail` (and an invalid field's `detail`, where the message is ours) are in the
caller's language (Accept-Language: English, Macedonian or Albanian; English otherwise): the
messages are catalogue messages (`shared.http.i18n.N_`, with `%(name)s` variables given apart),
translated when the answer is written. Messages from pydantic itself ("Field required", "Input
should be a valid integer") stay English, as do details that carry a value in their text. Services
raise `ProblemError` (or map their own exceptions to a `ProblemType` with `install_problems`);
FastAPI's and Starlette's own errors (404 for an unknown path, 405, parameter validation) are
turned into the same shape here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.events.envelope import current_correlation_id
from shared.http import i18n
from shared.http.i18n import N_

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


BAD_REQUEST = ProblemType("bad-request", 400, N_("The request cannot be read"))
UNAUTHENTICATED = ProblemType("unauthenticated", 401, N_("Sign-in required"))
FORBIDDEN = ProblemType("forbidden", 403, N_("Not allowed"))
NOT_FOUND = ProblemType("not-found", 404, N_("Not found"))
METHOD_NOT_ALLOWED = ProblemType("method-not-allowed", 405, N_("Method not allowed"))
NOT_ACCEPTABLE = ProblemType("not-acceptable", 406, N_("No acceptable representation"))
CONFLICT = ProblemType("conflict", 409, N_("The request conflicts with the current state"))
TOO_LARGE = ProblemType("body-too-large", 413, N_("The request body is too large"))
UNSUPPORTED_MEDIA_TYPE = ProblemType("unsupported-media-type", 415, N_("Unsupported content type"))
VALIDATION_FAILED = ProblemType("validation-failed", 422, N_("The request is not valid"))
RATE_LIMITED = ProblemType("rate-limited", 429, N_("Too many requests"))
INTERNAL = ProblemType("internal-error", 500, N_("Something went wrong on our side"))
UNAVAILABLE = ProblemType("unavailable", 503, N_("The service cannot answer now"))

# Starlette's own details (an HTTPException's phrase), so they are translated too
STARLETTE_DETAILS = (N_("Not Found"), N_("Method Not Allowed"))

# The language of the answer being made: set per request by `shared.http.context.RequestContext`
# from Accept-Language, so that an answer made anywhere below it (a middleware's 413 or 429, a
# route's ProblemError) is in the caller's language without passing the request down.
answer_language: ContextVar[str] = ContextVar("answer_language", default=i18n.DEFAULT_LANGUAGE)


def language_of_request(request: Request) -> str:
    return i18n.from_accept_language(request.headers.get("accept-language")) or i18n.DEFAULT_LANGUAGE


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
    return _BY_STATUS.get(status) or ProblemType(f"http-{status}", status, N_("Error"))


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
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """`detail`: a catalogue message; its `%(name)s` variables in `variables`."""
        self.variables = dict(variables or {})
        super().__init__(detail % self.variables if self.variables else detail)
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
    variables: Mapping[str, Any] | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """The body, in `lang` (default: the request's, `answer_language`); `type` never changes."""
    lang = lang or answer_language.get()
    correlation = current_correlation_id.get()
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": i18n.gettext(lang, kind.title),
        "status": kind.status,
        "detail": i18n.gettext(lang, detail, **(variables or {})),
        "instance": f"urn:uuid:{correlation}" if correlation else None,
    }
    if body["instance"] is None:
        del body["instance"]
    if errors is not None:
        body["errors"] = [
            e.model_copy(update={"detail": i18n.gettext(lang, e.detail)}).model_dump(by_alias=True)
            for e in errors
        ]
    body.update(extra or {})
    return body


def problem_response(
    kind: ProblemType,
    detail: str,
    *,
    errors: Sequence[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    lang: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(kind, detail, errors=errors, extra=extra, variables=variables, lang=lang),
        status_code=kind.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def problem_bytes(kind: ProblemType, detail: str, variables: Mapping[str, Any] | None = None) -> bytes:
    """The body for answers sent below FastAPI (the ASGI middlewares: 413, 429, 503)."""
    return bytes(JSONResponse(problem_body(kind, detail, variables=variables)).body)


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
        N_("the request has %(count)s problem(s); nothing was changed"),
        errors=problems,
        variables={"count": len(problems)},
    )


def install_problems(app: FastAPI, mapping: Mapping[type[Exception], ProblemType] | None = None) -> None:
    """Answer every error with a problem: `ProblemError`, FastAPI's and Starlette's own errors, the
    service's exceptions named in `mapping` (their message becomes the detail), and — as a 500
    whose detail says nothing of the cause — anything unexpected."""

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, ProblemError):  # registered for this type only
            raise error
        return problem_response(
            error.kind,
            error.detail,
            errors=error.errors,
            headers=error.headers,
            extra=error.extra,
            variables=error.variables,
            lang=language_of_request(request),
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, StarletteHTTPException):  # registered for this type only
            raise error
        kind = problem_type_for(error.status_code)
        detail = error.detail if isinstance(error.detail, str) else kind.title
        return problem_response(kind, detail, headers=error.headers, lang=language_of_request(request))

    async def on_invalid(request: Request, error: Exception) -> JSONResponse:
        if not isinstance(error, RequestValidationError):  # registered for this type only
            raise error
        problem = validation_error(validation_problems(error.errors()))
        return problem_response(
            problem.kind,
            problem.detail,
            errors=problem.errors,
            variables=problem.variables,
            lang=language_of_request(request),
        )

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("request failed", error_type=type(error).__name__, exc_info=error, alert=True)
        return problem_response(
            INTERNAL,
            N_("the request could not be completed; it has been logged"),
            lang=language_of_request(request),  # outside RequestContext: from the request itself
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    for exception, kind in (mapping or {}).items():
        app.add_exception_handler(exception, _mapped(kind))
    app.add_exception_handler(Exception, on_unexpected)


def _mapped(kind: ProblemType) -> Any:
    async def handler(request: Request, error: Exception) -> JSONResponse:
        # the exception's message is translated where the catalogue has it (a constant one)
        return problem_response(kind, str(error) or kind.title, lang=language_of_request(request))

    return handler
