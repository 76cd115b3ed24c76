"""`homeward intake [--host] [--port]`: the intake service in one process (HTTP API and caseworker
page via uvicorn, timeline consumers, outbox relay)."""

from __future__ import annotations

import argparse
import signal

DEFAULT_PORT = 8001


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("intake", help="run the intake service (API, caseworker page, consumers)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from services.intake.app import create_app
    from shared.logging import configure_logging
    from shared.settings import Settings

    settings = Settings()
    configure_logging("intake", settings.log_level, settings.log_format)
    # uvicorn stops gracefully on SIGTERM, then re-raises the signal to the handler it found: with
    # this one a clean stop exits 0 (not -15), and a SIGTERM before serving starts exits at once
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # log_config=None: uvicorn's loggers go through the structlog handler configured above;
    # access_log=False: uvicorn's access lines carry query strings (names typed into a search), so
    # the app logs each request itself, without them
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
