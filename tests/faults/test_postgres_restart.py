"""PostgreSQL restarted while grants is disbursing: three finance officers work the installments
through the API — one approves, two race to disburse each one — while the database goes away and
comes back. Every call that failed is retried as a client would (the disbursement with the same
Idempotency-Key). Afterwards every installment is paid exactly once and the ledger verifies."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.identity.model import Role

from .accounting import account
from .books import RETURNEES, Expected
from .caseload import PROGRAMME, Caseload, Producer, directory_in
from .conftest import ROUNDS, scaled
from .finance import Officer, approve_all, disburse_all
from .infra import PrivateInfra
from .processes import Corner, ServiceProcess, add_users

pytestmark = pytest.mark.integration

PLANS = scaled(40)
AFTERMATH_S = 3.0  # after the restart, a pooled connection that died with the server fails once
OFFICERS = {"approver": Role.FINANCE, "fin-a": Role.FINANCE, "fin-b": Role.FINANCE, "auditor": Role.AUDITOR}


async def restart_postgres(
    infra: PrivateInfra, officers: list[Officer], paid: Callable[[], int], at: int
) -> tuple[float, float]:
    """Once `at` installments are paid: stop the database, keep it down until every officer has
    had a call fail, start it again. Returns when it stopped and when it answered again."""
    deadline = time.monotonic() + 60
    while paid() < at:
        assert time.monotonic() < deadline, f"only {paid()} of {at} paid before the restart"
        await asyncio.sleep(0.02)
    before = [o.failures for o in officers]
    stopped = time.monotonic()
    await infra.stop_postgres()
    while any(o.failures == b for o, b in zip(officers, before, strict=True)):
        assert time.monotonic() - stopped < 30, "the officers' calls kept succeeding with the database down"
        await asyncio.sleep(0.02)
    await infra.start_postgres()
    return stopped, time.monotonic()


async def test_postgres_restarted_while_disbursing_pays_each_installment_once(
    private_infra: PrivateInfra,
    corner: Corner,
    services: Callable[[str], ServiceProcess],
    fault_config: Path,
    say: Callable[[str], None],
) -> None:
    began = time.monotonic()
    tokens = await add_users(corner, OFFICERS)
    grants = services("grants")
    grants.start()
    await grants.ready()
    officers = {name: Officer(name, tokens[name], grants.url) for name in OFFICERS}
    workers: list[asyncio.Task[None]] = []
    try:
        await officers["approver"].fund(PROGRAMME, 1_000_000_000)
        caseload = Caseload(directory_in(fault_config), seed=6_3)
        plans = [caseload.plan() for _ in range(PLANS)]
        async with Producer(corner.bootstrap) as producer:
            await asyncio.gather(*await producer.send(corner.prefix + RETURNEES, plans))
        # one installment per plan falls due on approval (the second waits 180 days)
        total = PLANS
        approvals: Counter[str] = Counter()
        payments = {"fin-a": Counter[str](), "fin-b": Counter[str]()}
        workers += [
            asyncio.create_task(approve_all(officers["approver"], total, approvals)),
            asyncio.create_task(disburse_all(officers["fin-a"], total, 1, payments["fin-a"])),
            asyncio.create_task(disburse_all(officers["fin-b"], total, 2, payments["fin-b"])),
        ]
        outages: list[tuple[float, float]] = []
        for round_ in range(1, ROUNDS + 1):
            outages.append(
                await restart_postgres(
                    private_infra,
                    [officers[n] for n in ("approver", "fin-a", "fin-b")],
                    lambda: sum(p["paid"] for p in payments.values()),
                    total * round_ // (ROUNDS + 1),
                )
            )
        await asyncio.gather(*workers)
        verdict = await officers["auditor"].get("/v1/ledger/verify")
        assert verdict["ok"], verdict["verdict"]
        failures = {n: o.failures for n, o in officers.items()}
        # a failed call is the outage's doing, never the service's own: calls fail while the
        # database is away and for the pool's dead connections just after, not otherwise
        stray = [
            (o.name, round(t - outages[0][0], 2), problem)
            for o in officers.values()
            for t, problem in o.failures_at
            if not any(down <= t <= up + AFTERMATH_S for down, up in outages)
        ]
        assert stray == [], f"calls failed outside the outage: {stray}"
    finally:
        for worker in workers:  # a failed test leaves no officer working on
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for officer in officers.values():
            await officer.close()

    books = await account(
        corner, ["grants"], Expected(caseload.directory, sent={RETURNEES: {p.event_id for p in plans}})
    )
    assert books.grants == PLANS
    assert books.disbursed == total
    paid = sum(p["paid"] for p in payments.values())
    assert paid >= total  # a replayed retry also answers "paid"; the ledger above says once each
    say(
        f"postgres restarted {ROUNDS}x (down {', '.join(f'{u - d:.1f}s' for d, u in outages)}) while "
        f"disbursing {total} installments: failed calls retried {failures}, approvals {dict(approvals)}, "
        f"fin-a {dict(payments['fin-a'])}, fin-b {dict(payments['fin-b'])}; ledger verify "
        f"{verdict['verdict'][:40]}...; {books.line()} [{time.monotonic() - began:.1f}s]"
    )
