"""The FastAPI app every service starts from: one error body, one request context, one set of
limits and security headers, the same health, readiness and metrics endpoints, a truthful OpenAPI
document. A service adds its routers and its lifespan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from shared.settings import Settings

from . import health, metrics
from .context import RequestContext
from .openapi import install_openapi
from .overload import ServiceApp, install_overload
from .problems import ProblemType, install_problems
from .security import install_api_security


def service_app(
    settings: Settings,
    *,
    service: str,
    title: str,
    description: str,
    lifespan: Any,
    problems: Mapping[type[Exception], ProblemType] | None = None,
) -> FastAPI:
    """`problems` maps the service's own exceptions to the problem they answer with."""
    app = ServiceApp(title=title, version="1", description=description, lifespan=lifespan)
    # in front of everything below: past the limit a request is refused for the least CPU
    install_overload(app, limit=settings.http_max_in_flight, service=service)
    install_api_security(app, settings)
    # added last, so it runs first: refusals of the limits above are counted and logged too
    app.add_middleware(RequestContext, service=service)
    install_problems(app, problems)
    app.include_router(health.router)
    app.include_router(metrics.router)
    install_openapi(app)
    app.state.settings = settings
    return app
