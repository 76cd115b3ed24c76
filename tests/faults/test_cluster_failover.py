"""A three-node Kafka cluster loses the broker that leads its busiest partitions, and referral and
grants each lose one of their two replicas, all by SIGKILL in the middle of a steady flow of events:
nothing is lost or doubled, and consumption stalls for less than 15 seconds.

The cluster is `homeward infra up --brokers 3`'s (combined nodes, topics with three copies and
`min.insync.replicas=2`), private, on free ports. Referral and grants run as two replicas each:
separate processes in one consumer group per service and topic, each joining as a static member of
its own (`HOMEWARD_KAFKA_GROUP_INSTANCE_ID`), each service's outbox relays single-active. The test
acts as intake (assessments, plan approvals, a little poison) and as the partners (accepting the
referrals issued so far, while the cluster fails over); three finance officers approve and pay every
installment that falls due, each through one grants replica and turning to the other when theirs
stops answering, as a client behind a load balancer would.

A third of the way through, the broker leading the most records is killed (and stays down: the
rest runs on two nodes); two thirds through, referral-b and grants-b are killed and started again,
as an orchestrator would. Then the full accounting; every topic still has three copies, two in sync;
the lost broker comes back and catches up; and the figures: how long consumption and publishing
stalled around each fault (from the inbox's and outbox's own timestamps), how long the killed
replicas' partitions had no consumer (from the rebalances the services logged).

`make soak` (HOMEWARD_SOAK=1) runs it three times, with 3,000 events each; `make test` once, shorter.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest

from shared.events import Envelope
from shared.identity.model import Role
from tests.support import eventually

from . import kafka_view
from .accounting import account
from .books import RESPONSES, RETURNEES, Expected
from .caseload import PROGRAMME, Caseload, Producer, accepted, directory_in
from .conftest import SOAK, MakeService
from .finance import Officer, approve_all, disburse_all
from .flow import ReadinessWatch, SteadyFlow
from .infra import PrivateCluster
from .poison import batch
from .processes import Corner, ServiceProcess, add_users
from .stalls import Stall, Stalls, Takeover, by_short_name, measure, takeovers

pytestmark = pytest.mark.integration

EVENTS = 3000 if SOAK else 1000
RATE = 25.0  # events a second: what the four services keep up with on two cores, with room to catch up
PLAN_EVERY = 10  # one event in ten is a plan approval, whose first installment falls due at once
RUNS = 3 if SOAK else 1
OFFICER_POLL_S = 0.5
STALL_TARGET_S = 15.0
RUNNING = ["referral", "grants"]
OFFICERS = {"approver": Role.FINANCE, "fin-a": Role.FINANCE, "fin-b": Role.FINANCE}
# noticed gone after 6 s, the least the broker allows (group.min.session.timeout.ms): measured, a
# replica restarted sooner takes its partitions back without a rebalance, and one slower to come
# back (a service takes 10-20 s to start on this machine under load) hands them to the survivor
MEMBERSHIP = {"HOMEWARD_KAFKA_SESSION_TIMEOUT_MS": "6000", "HOMEWARD_KAFKA_HEARTBEAT_INTERVAL_MS": "2000"}


@pytest.fixture
def corner(private_cluster: PrivateCluster, fault_config: Path) -> Corner:
    """This module's corner is on the private cluster (the package's other tests: one broker)."""
    token = uuid.uuid4().hex[:10]
    return Corner(
        private_cluster.bootstrap, private_cluster.database_url, f"c{token}.", f"c_{token}", fault_config
    )


def replicas(services: MakeService, service: str) -> list[ServiceProcess]:
    """Replicas a and b of `service`, each a static member of its groups under its own name."""
    return [
        services(service, replica, {**MEMBERSHIP, "HOMEWARD_KAFKA_GROUP_INSTANCE_ID": f"{service}-{replica}"})
        for replica in ("a", "b")
    ]


def events(caseload: Caseload) -> tuple[list[Envelope], int, set[UUID]]:
    """The flow: assessments with a plan approval every tenth event; the installments that fall
    due; every event id."""
    flow = [
        caseload.plan() if n % PLAN_EVERY == PLAN_EVERY - 1 else caseload.assessment().envelope
        for n in range(EVENTS)
    ]
    plans = sum(e.type == "ReintegrationPlanApproved" for e in flow)
    return flow, plans, {e.event_id for e in flow}


@pytest.mark.parametrize("run", range(1, RUNS + 1))
async def test_a_broker_and_a_replica_of_each_service_killed_lose_and_double_nothing(
    run: int,
    private_cluster: PrivateCluster,
    corner: Corner,
    services: MakeService,
    fault_config: Path,
    say: Callable[[str], None],
) -> None:
    await private_cluster.start()  # all three nodes: an earlier run left the one it killed down
    began = time.time()
    tokens = await add_users(corner, OFFICERS)
    referral, grants = replicas(services, "referral"), replicas(services, "grants")
    for process in referral + grants:
        process.start()
    await asyncio.gather(*(p.ready() for p in referral + grants))
    started = time.time()
    urls = [p.url for p in grants]
    officers = {
        "approver": Officer("approver", tokens["approver"], urls[0], (urls[1],)),
        "fin-a": Officer("fin-a", tokens["fin-a"], urls[0], (urls[1],)),
        "fin-b": Officer("fin-b", tokens["fin-b"], urls[1], (urls[0],)),
    }
    await officers["approver"].fund(PROGRAMME, 1_000_000_000)
    caseload = Caseload(directory_in(fault_config), seed=12_4000 + run)
    flow_events, plans, sent_ids = events(caseload)
    poison = batch(f"cluster-{run}")
    returnees, responses = corner.prefix + RETURNEES, corner.prefix + RESPONSES
    outcomes: dict[str, Counter[str]] = {name: Counter() for name in officers}
    # officers at work, not at a keyboard's repeat rate: the services' CPU is for the flow
    pace = {"timeout": 240.0, "poll_s": OFFICER_POLL_S}
    workers = [
        asyncio.create_task(approve_all(officers["approver"], plans, outcomes["approver"], **pace)),
        asyncio.create_task(disburse_all(officers["fin-a"], plans, 1, outcomes["fin-a"], **pace)),
        asyncio.create_task(disburse_all(officers["fin-b"], plans, 2, outcomes["fin-b"], **pace)),
    ]
    faults: dict[str, float] = {}
    # the replicas that are never killed must stay ready through the broker's loss
    watch = ReadinessWatch([referral[0], grants[0]])
    workers.append(asyncio.create_task(watch.run()))
    try:
        async with Producer(corner.bootstrap) as producer:
            flow = SteadyFlow(producer, returnees, flow_events, RATE)
            flowing = asyncio.create_task(flow.run())

            await flow.reached(EVENTS // 3)
            # the partners have read their referrals so far, and answer while the cluster fails over
            answers = [
                accepted(e) for e in await kafka_view.issued_referrals(corner.bootstrap, corner.prefix)
            ]
            broker, led = await kafka_view.busiest_leader(corner.bootstrap, corner.prefix)
            faults["broker"] = time.time()
            await private_cluster.kill_node(broker)
            buffered = await producer.send(responses, answers)  # poison arrives meanwhile too
            for topic in (RETURNEES, RESPONSES):
                buffered += await producer.send_raw(corner.prefix + topic, poison.by_topic[topic])

            await flow.reached(2 * EVENTS // 3)
            faults["replicas"] = time.time()
            for process in (referral[1], grants[1]):
                process.kill()
            for process in (referral[1], grants[1]):
                process.start()
            await asyncio.gather(referral[1].ready(), grants[1].ready())
            restarted = time.time() - faults["replicas"]

            await flowing
            await asyncio.gather(*buffered)
        await asyncio.gather(*workers[:3])
    finally:
        for worker in workers:  # a failed test leaves no officer working on
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for officer in officers.values():
            await officer.close()

    answered = {UUID(a.data["referral_id"]) for a in answers}
    expected = Expected(
        caseload.directory,
        sent={RETURNEES: sent_ids, RESPONSES: {a.event_id for a in answers}},
        accepted=answered,
        dead_letters={t: c for t, c in poison.dead_letters.items() if t in (RETURNEES, RESPONSES)},
        refused_by=poison.refused_by,
    )
    books = await account(corner, RUNNING, expected, timeout=120)
    assert books.grants == plans
    assert books.disbursed == plans
    names = await kafka_view.topics_with_prefix(corner.bootstrap, corner.prefix)
    # every topic kept three copies, two of them in sync on the nodes left, and needs two per write
    live = private_cluster.cluster.node_ids - {broker}
    kept = await kafka_view.copies(corner.bootstrap, names)
    assert all(copies == ({3}, live, "2") for copies in kept.values()), kept
    records = await kafka_view.read_all(corner.bootstrap, names)
    # the lost broker comes back on its data and catches up: every partition in sync on three nodes
    back = time.time()
    await private_cluster.start_node(broker)

    async def caught_up() -> bool:
        kept = await kafka_view.copies(corner.bootstrap, names)
        return all(isr == private_cluster.cluster.node_ids for _, isr, _ in kept.values())

    await eventually(caught_up, timeout=60, interval=0.5, what=f"broker {broker} back in every in-sync set")
    rejoined = time.time() - back
    stalls = await measure(corner, RUNNING, by_short_name(corner.prefix, records))
    handed = [
        t
        for group in (referral, grants)
        for t in takeovers(group[1].log_file, [p.log_file for p in group], faults["replicas"], corner.prefix)
    ]
    say(
        f"cluster run {run}: {EVENTS} events at {RATE:.0f}/s, {plans} installments paid "
        f"({', '.join(f'{n} {dict(o)}' for n, o in outcomes.items())}); broker {broker} (leading {led} "
        f"records) SIGKILLed at t+{faults['broker'] - started:.1f}s, referral-b and grants-b at "
        f"t+{faults['replicas'] - started:.1f}s (ready again {restarted:.1f}s later); broker {broker} "
        f"back and in sync on every partition {rejoined:.1f}s after its restart; "
        f"{_stall_lines(stalls, faults, started)}; the killed replicas' partitions consumed again: "
        f"{', '.join(t.line() for t in handed)}; relay leaders {_leaders(referral + grants, started)}; "
        f"{_readiness_line(watch, started)}; {books.line()} "
        f"[services up {started - began:.1f}s, run {time.time() - began:.1f}s]"
    )
    longest = stalls.longest("groups")
    assert longest is None or longest.seconds < STALL_TARGET_S, (
        f"consumption stalled {longest.line(started)}, over the {STALL_TARGET_S:.0f}s target"
    )
    slowest: Takeover = max(handed, key=lambda t: t.seconds)
    assert slowest.seconds < STALL_TARGET_S, f"partitions without a consumer: {slowest.line()}"
    assert watch.refusals == [], "a replica that was not killed stopped being ready: " + _readiness_line(
        watch, started
    )


def _stall_lines(stalls: Stalls, faults: dict[str, float], origin: float) -> str:
    def said(stall: Stall | None) -> str:
        return stall.line(origin) if stall else "not noticeably"

    parts = [
        f"{name} kill: group stalled {said(stalls.around('groups', moment))}, partition waited "
        f"{said(stalls.around('partitions', moment))}, relay stalled {said(stalls.around('relays', moment))}"
        for name, moment in faults.items()
    ]
    parts.append(
        f"longest: group stall {said(stalls.longest('groups'))}, partition wait "
        f"{said(stalls.longest('partitions'))}, relay stall {said(stalls.longest('relays'))}"
    )
    return "; ".join(parts)


def _readiness_line(watch: ReadinessWatch, origin: float) -> str:
    refused = [(round(moment - origin, 1), name, why) for moment, name, why in watch.refusals]
    return f"readiness of referral-a and grants-a: {watch.asked} asked, {len(refused)} refused {refused[:6]}"


def _leaders(processes: list[ServiceProcess], origin: float) -> str:
    """Which replica's relay led its service's schema, from when: one at a time, taken over when
    the leader was killed."""
    led = sorted((moment, p.name) for p in processes for moment in p.led_relay_at())
    return ", ".join(f"{name} from t+{moment - origin:.1f}s" for moment, name in led)
