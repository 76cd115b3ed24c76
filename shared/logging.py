"""structlog JSON logging with the message's ids carried in contextvars.

Every line is one JSON object (console rendering on a TTY); stdlib loggers such as aiokafka,
faststream and uvicorn go through the same processors. Log ids, never personal data.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import structlog

# loggers of libraries we route into the same output; their own handlers are removed
ROUTED_LOGGERS = ("aiokafka", "faststream", "uvicorn", "uvicorn.access", "uvicorn.error", "asyncpg")


def configure_logging(
    service: str,
    level: str = "INFO",
    log_format: Literal["auto", "json", "console"] = "auto",
) -> None:
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        _add_service(service),
    ]
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _identity,  # type: ignore[list-item]
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers = []
        routed.propagate = True
    # aiokafka is chatty at INFO about every group rebalance step
    logging.getLogger("aiokafka").setLevel(max(logging.getLevelName(level), logging.WARNING))


def _add_service(service: str) -> Any:
    def add(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return add


def _identity(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return event_dict


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
