"""Every service's process entry: uvicorn started one way, stopped one way.

- logs go through the structlog handler (`log_config=None`); uvicorn's own access lines are off,
  since they carry query strings (names typed into a search) — `RequestContext` logs each request;
- `X-Forwarded-For`/`-Proto` are believed only from `HOMEWARD_FORWARDED_ALLOW_IPS` (the ingress);
- SIGTERM (and Ctrl-C): uvicorn stops accepting, lets requests in flight finish within
  `HOMEWARD_SHUTDOWN_GRACE_S`, then runs the app's lifespan shutdown (consumers commit, the relay
  finishes its batch); the process then exits 0. A SIGTERM before serving starts exits at once.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import Settings
from shared.tracing import configure_tracing


def serve(service: str, make_app: Callable[[Settings], FastAPI], *, host: str, port: int) -> int:
    import uvicorn

    settings = Settings()
    configure_logging(service, settings.log_level, settings.log_format)
    configure_tracing(service, settings.otlp_endpoint)
    app = make_app(settings)
    # uvicorn re-raises the signal to the handler it found once it has stopped: with this one a
    # clean stop exits 0 rather than -15
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
