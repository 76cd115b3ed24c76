"""Schemathesis against each service's OpenAPI document: no generated request — valid by the schema
or not — makes a service answer 500. Each service runs under uvicorn (in a thread, with its own
event loop) on the real broker and database, in a corner of its own; requests carry a valid token
of a role that may call the operation, so they reach the handlers. Bounded to a few dozen examples
per operation and mode."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from shared.auth import IdentityStore, Role
from shared.db import create_pool
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation

pytestmark = pytest.mark.integration

T = TypeVar("T")
EXAMPLES = 30  # per operation and generation mode


def intake_app(settings: Settings) -> Any:
    from services.intake.app import create_app

    return create_app(settings)


def referral_app(settings: Settings) -> Any:
    from services.referral.app import create_app

    return create_app(settings)


def grants_app(settings: Settings) -> Any:
    from services.grants.app import create_app

    return create_app(settings)


def intake_role(method: str, path: str) -> Role:
    return Role.ADMIN if path.startswith("/v1/users") else Role.SUPERVISOR


SERVICES: dict[str, tuple[Callable[[Settings], Any], Callable[[str, str], Role]]] = {
    "intake": (intake_app, intake_role),
    "referral": (referral_app, lambda method, path: Role.SUPERVISOR),
    "grants": (grants_app, lambda method, path: Role.FINANCE),
}


def in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop (the test session's loop belongs to pytest-asyncio)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def add_users(settings: Settings) -> dict[Role, str]:
    pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=1)
    try:
        store = IdentityStore(pool, settings.identity_schema)
        return {role: (await store.add_user(f"fuzz-{role.value}", role))[1] for role in Role}
    finally:
        await pool.close()


@dataclass
class Served:
    name: str
    base_url: str
    tokens: dict[Role, str]
    role_for: Callable[[str, str], Role]


@pytest.fixture(scope="module", params=list(SERVICES))
def served(request: pytest.FixtureRequest, kafka_bootstrap: str, database_url: str) -> Iterator[Served]:
    factory, role_for = SERVICES[request.param]
    # writes are not rate-limited here: the fuzzer's volume is not what is under test
    isolation = new_isolation(
        kafka_bootstrap, database_url, api_write_burst=10**6, api_writes_per_minute=10**9
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(factory(isolation.settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name=f"{request.param}-under-fuzz", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive(), f"{request.param} did not start"
            assert time.monotonic() < deadline, f"{request.param} did not start within 60 s"
            time.sleep(0.05)
        tokens = in_thread(add_users(isolation.settings))
        yield Served(request.param, base_url, tokens, role_for)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        in_thread(release_isolation(isolation))


def test_no_generated_request_makes_a_server_error(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        token = served.tokens[served.role_for(operation.method.upper(), operation.path)]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, served.base_url, token)
            if failure:
                errors.append(failure)
    assert operations > 0
    assert errors == [], f"{served.name}: server errors\n" + "\n".join(errors)


def _fuzz(operation: Any, mode: GenerationMode, base_url: str, token: str) -> str | None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
        assert response.status_code < 500, (
            f"{operation.label} [{mode.value}] -> {response.status_code}: {case.as_curl_command()}"
            f"\n  {response.text[:300]}"
        )

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation with no input: nothing invalid to send
        return None
    except AssertionError as error:
        return str(error).splitlines()[0] + "\n" + "\n".join(str(error).splitlines()[1:3])
    return None
