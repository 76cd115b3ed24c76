"""Asking a local broker or cluster what it is: which brokers answer, from plain blocking code
(`homeward infra`, the launcher's waits) as well as from inside a test's event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def live_brokers(bootstrap: str, timeout_ms: int = 2000) -> set[int]:
    """The node ids of the brokers the cluster at `bootstrap` lists in its metadata (registered and
    not fenced); empty when nothing answers."""
    from aiokafka.client import AIOKafkaClient

    # a broker still starting refuses connections: expected here, not worth a log line each time
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    async def probe() -> set[int]:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, connections_max_idle_ms=timeout_ms * 2
        )
        try:
            await asyncio.wait_for(client.bootstrap(), timeout_ms / 1000)
            metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout_ms / 1000)
            return {broker.nodeId for broker in metadata.brokers()}
        except Exception:
            return set()
        finally:
            await client.close()
            logging.getLogger("aiokafka").setLevel(logging.NOTSET)

    return run_blocking(probe())


def answers_metadata(bootstrap: str, timeout_ms: int = 2000) -> bool:
    """True when a broker at `bootstrap` answers a metadata request naming at least one broker."""
    return bool(live_brokers(bootstrap, timeout_ms))


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end from blocking code, also when called inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # called from inside an event loop (a test fixture): run on a private loop in a thread
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
