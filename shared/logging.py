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

# What libraries say at a level that would page someone, about conditions that are part of normal
# operation: (logger name prefix, start of the message template, the level it deserves).
# - aiokafka logs ERROR when a partition's leader is not elected yet (a topic made a moment ago, a
#   broker restarting) and retries by itself;
# - faststream warns at every subscriber start that the broker does not create topics, which is how
#   Homeward runs it on purpose (topics are made by shared.topics at start-up).
HARMLESS: tuple[tuple[str, str, int], ...] = (
    ("aiokafka.consumer.fetcher", "Failed fetch offsets from", logging.INFO),
    ("faststream", "Auto create topics is disabled", logging.DEBUG),
)


class HarmlessLibraryLines(logging.Filter):
    """Lowers the level of the lines named in HARMLESS (and drops them below the configured level),
    so that an ERROR in the log always means something needs a person."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        for prefix, start, level in HARMLESS:
            if record.name.startswith(prefix) and str(record.msg).startswith(start):
                if level < record.levelno:
                    record.levelno, record.levelname = level, logging.getLevelName(level)
                return record.levelno >= self.threshold
        return True


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
    handler.addFilter(HarmlessLibraryLines(logging.getLevelName(level)))
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
