"""The Kafka broker stopped for 10 seconds in the middle of the flow, then started again on the
same data: referral and grants recover by themselves (no restart), and nothing is lost or doubled.

Events go in before the outage, during it (the test's producer buffers them, as intake's relay
would keep its outbox rows), and after it. Partners' answers to earlier referrals are sent during
the outage too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from shared.events import Envelope
from shared.identity.model import Role

from . import kafka_view
from .accounting import account, wait_quiet
from .books import RESPONSES, RETURNEES, Expected
from .caseload import PROGRAMME, Caseload, Producer, accepted, directory_in
from .conftest import ROUNDS, scaled
from .finance import Officer
from .infra import PrivateInfra
from .processes import Corner, ServiceProcess, add_users

pytestmark = pytest.mark.integration

OUTAGE_S = 10.0
PER_PHASE = scaled(60)  # assessments per phase; a plan approval for every third
RUNNING = ["referral", "grants"]


async def outage(
    infra: PrivateInfra, processes: list[ServiceProcess], during: Callable[[], Coroutine[Any, Any, None]]
) -> set[str]:
    """Stop the broker; produce `during` into the outage; for 10 seconds the services keep trying
    (alive, saying they are not ready); then start the broker on the same data. Returns the
    services that noticed."""
    await infra.stop_broker()
    stopped, noticed = time.monotonic(), set()
    # the producer buffers what it cannot deliver (it may first wait for a topic's metadata)
    producing = asyncio.create_task(during())
    async with httpx.AsyncClient(timeout=3.0) as client:
        while time.monotonic() - stopped < OUTAGE_S:
            for process in processes:
                assert process.alive(), f"{process.service} died during the outage:\n{process.tail()}"
                answer = await client.get(f"{process.url}/readyz")
                if answer.status_code == 503 and answer.json()["checks"]["broker"]["status"] == "down":
                    noticed.add(process.service)
            await asyncio.sleep(0.25)
    await infra.start_broker()
    await producing
    return noticed


async def test_a_ten_second_broker_outage_loses_and_doubles_nothing(
    private_infra: PrivateInfra,
    corner: Corner,
    services: Callable[[str], ServiceProcess],
    fault_config: Path,
    say: Callable[[str], None],
) -> None:
    began = time.monotonic()
    tokens = await add_users(corner, {"fin-1": Role.FINANCE})
    processes = [services(name) for name in RUNNING]
    for process in processes:
        process.start()
    await asyncio.gather(*(p.ready() for p in processes))
    officer = Officer("fin-1", tokens["fin-1"], processes[1].url)
    await officer.fund(PROGRAMME, 1_000_000_000)
    await officer.close()
    caseload = Caseload(directory_in(fault_config), seed=6_10)
    returnees, responses = corner.prefix + RETURNEES, corner.prefix + RESPONSES
    sent: dict[str, set[UUID]] = {RETURNEES: set(), RESPONSES: set()}
    answered: set[UUID] = set()

    def phase() -> list[Envelope]:
        cases = [a.envelope for a in caseload.assessments(PER_PHASE)]
        plans = [caseload.plan() for _ in range(PER_PHASE // 3)]
        sent[RETURNEES].update(e.event_id for e in cases + plans)
        return cases + plans

    noticed: set[str] = set()
    async with Producer(corner.bootstrap) as producer:
        # before: a first batch goes all the way through, so its referrals can be answered later
        await asyncio.gather(*await producer.send(returnees, phase()))
        await wait_quiet(corner, RUNNING)
        for _ in range(ROUNDS):
            issued = await kafka_view.issued_referrals(corner.bootstrap, corner.prefix)
            answers = [accepted(e) for e in issued if UUID(e.data["referral_id"]) not in answered]
            # in flight when the broker goes: sent, and being consumed and relayed
            await asyncio.gather(*await producer.send(returnees, phase()))
            buffered: list[Any] = []

            async def during(answers: list[Envelope] = answers, buffered: list[Any] = buffered) -> None:
                buffered.extend(await producer.send(returnees, phase()))
                buffered.extend(await producer.send(responses, answers))

            noticed |= await outage(private_infra, processes, during)
            await asyncio.gather(*buffered)  # delivered now the broker is back
            sent[RESPONSES].update(a.event_id for a in answers)
            answered.update(UUID(a.data["referral_id"]) for a in answers)
            await asyncio.gather(*await producer.send(returnees, phase()))  # after

    books = await account(
        corner, RUNNING, Expected(caseload.directory, sent=sent, accepted=answered), timeout=120
    )
    assert noticed == set(RUNNING), f"only {noticed} saw the broker go"
    assert all(p.starts == 1 for p in processes), "a service was restarted"
    say(
        f"broker stopped {ROUNDS}x for {OUTAGE_S:.0f}s (noticed by {sorted(noticed)}, no restart): "
        f"{books.line()} [{time.monotonic() - began:.1f}s]"
    )
