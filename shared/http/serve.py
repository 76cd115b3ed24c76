"""Every service's process entry: uvicorn started one way, stopped one way.

- logs go through the structlog handler (`log_config=None`); uvicorn's own access lines are off,
  since they carry query strings (names typed into a search) — `RequestContext` logs each request;
- `X-Forwarded-For`/`-Proto` are believed only from `HOMEWARD_FORWARDED_ALLOW_IPS` (the ingress);
- SIGTERM (and Ctrl-C): uvicorn stops accepting, lets requests in flight finish within
  `HOMEWARD_SHUTDOWN_GRACE_S`, then runs the app's lifespan shutdown (consumers commit, the relay
  finishes its batch); the process then exits 0. A SIGTERM before serving starts exits at once;
- uvloop and httptools (`uvicorn[standard]`; uvicorn's own "auto" takes them when installed: several
  times less CPU per request than asyncio's loop and h11), and the start-up log line says which loop
  and parser really run;
- a burst of new connections waits in the listen backlog (`HOMEWARD_HTTP_BACKLOG`) rather than being
  reset; idle keep-alive connections close after `HOMEWARD_HTTP_KEEP_ALIVE_S`. Past what the process
  can serve, `shared.http.overload` answers 503 with Retry-After (uvicorn's `limit_concurrency` is
  not set: see there).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import Settings
from shared.tracing import configure_tracing

log = structlog.get_logger("shared.http.serve")


def serve(service: str, make_app: Callable[[Settings], FastAPI], *, host: str, port: int) -> int:
    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_format)
    configure_tracing(service, settings.otlp_endpoint)
    app = make_app(settings)
    # uvicorn re-raises the signal to the handler it found once it has stopped: with this one a
    # clean stop exits 0 rather than -15
    signal.signal(signal.SIGTERM, _exit_cleanly)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        backlog=settings.http_backlog,
        timeout_keep_alive=settings.http_keep_alive_s,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    server = _Server(config, service, settings)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: as uvicorn.run does
        server.run()
    return 0 if server.started else 3  # uvicorn.run's exit status when start-up failed


class _Server(uvicorn.Server):
    """uvicorn's server, saying at start-up what really runs (from inside the running loop, not
    what was asked for) and the limits it serves under."""

    def __init__(self, config: uvicorn.Config, service: str, settings: Settings) -> None:
        super().__init__(config)
        self.service = service
        self.settings = settings

    async def serve(self, sockets: Any = None) -> None:
        config = self.config
        if not config.loaded:
            config.load()
        log.info(
            "serving",
            service=self.service,
            loop=type(asyncio.get_running_loop()).__module__,
            http=config.http_protocol_class.__module__,
            backlog=config.backlog,
            keep_alive_s=config.timeout_keep_alive,
            max_in_flight=self.settings.http_max_in_flight,
            db_pool_max=self.settings.db_pool_max,
            db_acquire_timeout_ms=self.settings.db_acquire_timeout_ms,
        )
        await super().serve(sockets)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
