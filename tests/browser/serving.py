"""A service's app served by uvicorn on a free port, in the test's loop, for Chromium to open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from tests.support import eventually, free_port


@contextlib.asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL once uvicorn has started it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            raise AssertionError(f"uvicorn stopped: {task.exception()!r}")
        return bool(server.started)

    try:
        # a service's start waits for its topics, migrations and consumers' first assignment: on a
        # loaded two-core machine that has taken more than 30 s
        await eventually(started, timeout=120, what=f"uvicorn to start {name}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
