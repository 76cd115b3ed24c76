"""Schemathesis against each service's OpenAPI document, with every check it has switched on: no
server error; every status, content type, header and body the document declares (and nothing it
does not); invalid data rejected and valid data accepted; a missing token or required header
refused. Each service runs under uvicorn (in a thread, with its own event loop) on the real broker
and database, in a corner of its own; requests carry a valid token of a role that may call the
operation, so they reach the handlers. Bounded to a few dozen examples per operation and mode."""

from __future__ import annotations

import asyncio
import socket
import threading
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
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from shared.db import create_pool
from shared.identity.model import Role
from shared.identity.store import IdentityStore
from shared.settings import Settings
from tests.conftest import new_isolation, release_isolation
from tests.support import TEST_PARTNER, eventually, every_programme

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


def reporting_app(settings: Settings) -> Any:
    from services.reporting.app import create_app

    return create_app(settings)


def intake_role(method: str, path: str) -> Role:
    if path.endswith("access-log"):
        return Role.DPO
    return Role.ADMIN if path.startswith(("/v1/users", "/v1/tokens")) else Role.SUPERVISOR


def role_of(role: Role) -> Callable[[str, str], Role]:
    """`role`, except for the access log, which only the data-protection officer reads."""
    return lambda method, path: Role.DPO if path.endswith("access-log") else role


SERVICES: dict[str, tuple[Callable[[Settings], Any], Callable[[str, str], Role]]] = {
    "intake": (intake_app, intake_role),
    "referral": (referral_app, role_of(Role.SUPERVISOR)),
    "grants": (grants_app, role_of(Role.FINANCE)),
    "reporting": (reporting_app, role_of(Role.MANAGER)),
}


def in_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a private loop (the test session's loop belongs to pytest-asyncio)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def add_users(settings: Settings) -> dict[Role, str]:
    pool = await create_pool(settings.database_url, settings.identity_schema, min_size=1, max_size=1)
    try:
        store = IdentityStore(pool, settings.identity_schema)
        return {
            role: (
                await store.add_user(
                    f"fuzz-{role.value}",
                    role,
                    programmes=() if role in (Role.ADMIN, Role.PARTNER) else every_programme(),
                    partner_id=TEST_PARTNER if role is Role.PARTNER else None,
                )
            )[1]
            for role in Role
        }
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

        async def started() -> bool:
            assert thread.is_alive(), f"{request.param} did not start"
            return bool(server.started)

        in_thread(eventually(started, timeout=60, what=f"{request.param} serving"))
        tokens = in_thread(add_users(isolation.settings))
        yield Served(request.param, base_url, tokens, role_for)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        in_thread(release_isolation(isolation))


# Operations whose rules go beyond what JSON Schema can say (a rule across fields, a date measured
# against today, a state the object must be in): for these, a request valid by the schema may also
# be refused with a 422 naming the rule. Each entry says why.
RULES_BEYOND_THE_SCHEMA: dict[str, dict[str, str]] = {
    "intake": {
        "POST /v1/cases": "the household's relationships and ages, vulnerabilities that must fit them, dates"
        " against today and each other, the municipality within the country of return, the sending"
        " country another country, the programme one of the user's (and, when none is named, a sending"
        " country with a default programme)",
        "POST /v1/cases/{case_id}/assessment": "the vulnerabilities must fit the stored household; the"
        " training wanted goes with a vocational_training need and the business sector and plan stage"
        " with a micro_business need, each of them with its need only",
        "POST /v1/arrivals": "a registration's household rules, the scheduled arrival in the future (at most"
        " a year ahead), the arrival point in the country of return, the programme one of the user's",
        "POST /v1/arrivals/{case_id}/reschedule": "the scheduled arrival in the future, the arrival point in"
        " the case's country of return",
        "POST /v1/arrivals/{case_id}/confirm": "the arrival time not in the future, the members who did not"
        " travel among the stored household's, somebody travelled",
        "POST /v1/cases/{case_id}/plan": "each assistance type once (uniqueness of a property across array"
        " items), amounts in the currency of the case's programme",
        "POST /v1/cases/{case_id}/household": "a registration's household rules (relationships and ages,"
        " dates against today), each `was` naming a current member once, the stored vulnerabilities"
        " still fitting the household",
        "POST /v1/cases/{case_id}/plan/amendment": "as a plan: each assistance type once (uniqueness of a"
        " property across array items), amounts in the currency of the case's programme",
        "POST /v1/cases/{case_id}/assignment": "the assignee is an active caseworker or supervisor of the"
        " case's programme (a user id the schema cannot know)",
        "POST /v1/cases/{case_id}/monitoring-visits": "the visit's date against today and the case's"
        " arrival; a returnee who re-migrated is not in the municipality (a rule across fields)",
        "POST /v1/users": "the password policy (not the name, not a common or guessable password), the"
        " programmes exist in the policy file, an admin names none, a user limited to their office has one,"
        " a token's lifetime within the api_token_days setting",
        "POST /v1/users/{user_id}/tokens": "a token's lifetime within the api_token_days setting (the"
        " schema states the most the shell may ask for)",
        "PUT /v1/users/{user_id}/grant": "the programmes exist in the policy file, an admin names none, a"
        " user limited to their office has one",
        "POST /v1/users/{user_id}/password": "the password policy (long enough, not the name, not a common"
        " or guessable password)",
    },
    "referral": {},
    "reporting": {
        f"GET /v1/reports/{{programme_id}}{suffix}": "the period: `from` no later than `to`, at most ten"
        " years long (a rule across two parameters)"
        for suffix in ("", "/csv", "/xlsx")
    },
    "grants": {
        "POST /v1/programmes/{programme_id}/funding": (
            "the amount's currency must be the programme's own; and an amount is an integer literal:"
            " JSON Schema's integer also admits 5.0, which is refused so that no amount is ever a float"
        ),
        "POST /v1/installments/{installment_id}/disburse": (
            "the method must fit whom the installment pays (a supplier: supplier_invoice, naming"
            " the supplier and invoice; the returnee: cash or bank_transfer); a blank payment"
            " reference is refused"
        ),
    },
}


def test_every_operation_keeps_every_check(served: Served) -> None:
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json")
    errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, failing the test
        operations += 1
        token = served.tokens[served.role_for(operation.method.upper(), operation.path)]
        beyond = f"{operation.method.upper()} {operation.path}" in RULES_BEYOND_THE_SCHEMA[served.name]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, served.base_url, token, rules_beyond_schema=beyond)
            if failure:
                errors.append(failure)
    assert operations > 0
    assert errors == [], f"{served.name}: {len(errors)} operation(s) fail a check\n" + "\n".join(errors)


def _first_line(failure: BaseException) -> str:
    text = str(failure).strip()
    return text.splitlines()[0] if text else type(failure).__name__


def _fuzz(
    operation: Any, mode: GenerationMode, base_url: str, token: str, *, rules_beyond_schema: bool
) -> str | None:
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
        # A negative case that takes the token away or spoils it is about the token: it goes as
        # generated (schemathesis' own auth makes the same exception). Every other case carries a
        # valid token, so that it reaches the handler.
        if case.operation.schema.is_security_param_negated(case):
            headers = dict(case.headers or {})
        else:
            headers = {"Authorization": f"Bearer {token}"}
        response = case.call(base_url=base_url, headers=headers, timeout=15)
        if (
            rules_beyond_schema
            and mode is GenerationMode.POSITIVE
            and response.status_code == 422
            and response.json().get("type") == "/problems/validation-failed"
        ):
            excluded = [positive_data_acceptance]
        else:
            excluded = []
        try:
            case.validate_response(response, headers=headers, excluded_checks=excluded)
        except (AssertionError, FailureGroup) as failed:
            found = failed.exceptions if isinstance(failed, FailureGroup) else (failed,)
            reasons = "; ".join(_first_line(f) for f in found)
            raise AssertionError(
                f"{operation.label} [{mode.value}] -> {response.status_code}: {reasons}"
                f"\n  {case.as_curl_command()}\n  {response.text[:300]}"
            ) from None

    try:
        run()
    except Unsatisfiable:  # negative mode on an operation with no input: nothing invalid to send
        return None
    except AssertionError as error:
        return "\n".join(str(error).splitlines()[:3])
    return None
