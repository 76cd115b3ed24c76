"""What every route module shares: the use-case context, JSON bodies validated by intake itself
(so field and rule problems come back together), their OpenAPI description, and error responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.case import CaseConflict
from services.intake.handlers import CaseNotFound, DuplicateSuspected, IdempotencyKeyReused, Intake
from services.intake.validation import Invalid, Problem

_BODY_MODELS: dict[str, type[BaseModel]] = {}


def intake_of(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def json_of(request: Request) -> Any:
    """The request's JSON (None for an empty body); a body that is not JSON is a 422."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return await request.json()
    except ValueError:
        raise Invalid([Problem(("body",), "the body is not valid JSON")]) from None


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route that reads `model` with `json_of` and `validation.check`."""
    _BODY_MODELS[model.__name__] = model
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def install_openapi(app: FastAPI) -> None:
    """Add the body models named by `json_body` to the generated OpenAPI document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, model in _BODY_MODELS.items():
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for def_name, definition in schema.pop("$defs", {}).items():
                    schemas.setdefault(def_name, definition)
                schemas[name] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def problems_body(problems: list[Problem]) -> dict[str, Any]:
    return {
        "detail": f"the request has {len(problems)} problem(s); nothing was changed",
        "errors": [{"field": p.field, "loc": list(p.loc), "message": p.message} for p in problems],
    }


def install_error_handlers(app: FastAPI) -> None:
    async def invalid(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Invalid)
        return JSONResponse(problems_body(error.problems), status_code=422)

    async def invalid_parameters(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        problems = [Problem(tuple(e["loc"]), str(e["msg"])) for e in error.errors()]
        return JSONResponse(problems_body(problems), status_code=422)

    async def not_found(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"no case {error}"}, status_code=404)

    async def conflict(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=409)

    async def duplicate(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DuplicateSuspected)
        return JSONResponse(
            {
                "detail": "likely duplicate: a person with the same name and date of birth is in an existing"
                " case of this programme; send confirm_distinct_person: true if it is someone else",
                "existing_case_id": str(error.matches[0].case_id),
                "matches": [{"member": m.member, "case_id": str(m.case_id)} for m in error.matches],
            },
            status_code=409,
        )

    async def key_reused(_: Request, error: Exception) -> JSONResponse:
        problem = Problem(("header", "Idempotency-Key"), "this key was already used for a different request")
        return JSONResponse(problems_body([problem]), status_code=422)

    app.add_exception_handler(Invalid, invalid)
    app.add_exception_handler(RequestValidationError, invalid_parameters)
    app.add_exception_handler(CaseNotFound, not_found)
    app.add_exception_handler(CaseConflict, conflict)
    app.add_exception_handler(DuplicateSuspected, duplicate)
    app.add_exception_handler(IdempotencyKeyReused, key_reused)
