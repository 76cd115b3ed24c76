"""Each service's OpenAPI document, made to tell the truth about its errors.

FastAPI documents the success answer and a 422 of its own shape. Every operation here can also
answer with problems it does not know of: 401/403 where the route authenticates, 404 where the path
names an object, 413 and 429 for writes (the body limit, the write rate), 422 where anything is read
from the request (400 for a body that cannot be parsed at all), and 503 everywhere (overload, a
dependency down). `install_openapi` adds each of them with the `Problem` schema and
`application/problem+json`, declares the bearer security scheme on the operations that need a
token, and gives statuses a route declares itself (a 409) the same body. Routes that read and
validate their JSON body themselves name its model with `documented_body(Model)`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from .auth import AUTHENTICATES
from .problems import PROBLEM_JSON, FieldProblem, Problem, problem_type_for

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BEARER = "bearer"
_REF = "#/components/schemas/{model}"

_BODY_MODELS: dict[str, type[BaseModel]] = {}


def documented_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route that reads `model` from its JSON body itself."""
    _BODY_MODELS[model.__name__] = model
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def _authenticates(dependant: Dependant) -> bool:
    if getattr(dependant.call, AUTHENTICATES, False):
        return True
    return any(_authenticates(d) for d in dependant.dependencies)


def _reads_input(route: Any, operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody") or route.dependant.body_params)


def _problem_content(schema_ref: str = "Problem") -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": _REF.format(model=schema_ref)}}}


def _add_schemas(document: dict[str, Any], models: list[type[BaseModel]]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        schema = model.model_json_schema(ref_template=_REF, by_alias=True)
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema


def problem_statuses(route: Any, operation: dict[str, Any], method: str) -> set[int]:
    """The problem statuses `route` (an APIRoute, as included) can answer with beyond those it
    declares."""
    statuses = {503}
    if _authenticates(route.dependant):
        statuses |= {401, 403}
    if route.param_convertors:
        statuses.add(404)
    if method in WRITE_METHODS:
        statuses |= {413, 429}
    if _reads_input(route, operation):
        statuses.add(422)
    if operation.get("requestBody"):
        statuses.add(400)  # a body that cannot be parsed at all (FastAPI's own refusal)
    return statuses


def truthful_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=app.servers,
    )
    _add_schemas(document, [Problem, FieldProblem, *_BODY_MODELS.values()])
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    security_used = False
    # included routers are walked the way FastAPI's own generator walks them
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path_item = document["paths"].get(route.path_format or "", {})
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in problem_statuses(route, operation, method):
                responses.setdefault(str(status), {"description": problem_type_for(status).title})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response.setdefault("description", problem_type_for(int(code)).title)
                    declared: dict[str, Any] = response.get("content") or {}
                    first: dict[str, Any] = next(iter(declared.values()), {})
                    schema = first.get("schema")
                    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
                    model = ref.rsplit("/", 1)[-1] if ref and "HTTPValidationError" not in ref else "Problem"
                    response["content"] = _problem_content(model)
            if _authenticates(route.dependant):
                operation["security"] = [{BEARER: []}]
                security_used = True
    if security_used:
        document["components"].setdefault("securitySchemes", {})[BEARER] = {
            "type": "http",
            "scheme": "bearer",
            "description": "a token from `homeward users add` or `POST /v1/users`",
        }
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
