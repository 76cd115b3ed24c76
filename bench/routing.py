"""Routing throughput: intake events/s from `intake.returnees.v1` to the partner topics through the
referral service (consumer, inbox, routing, outbox, relay), counted until every ReferralIssued is
readable on its partner topic — beside a raw aiokafka consume→produce loop, a naive
one-transaction-per-event consumer and the minimal routing loop (the same inbox, case, referral and
outbox rows in one transaction per batch, raw asyncpg and aiokafka: what the design's rules cost),
on the same broker and database in the same run. The service's target is measured against the
minimal loop; both report the process CPU time per routed event.

Each subject finds its input already on its topic and is timed from the moment its consumer has
started, so all three pay the same group join and none races its own producer."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from services.referral.app import MIGRATION_FOLDERS, create_app, service_topics
from shared.db import migrate
from shared.topics import Topics, TopicSpec, ensure_topics

from .baselines import Measured, minimal_routing, naive_transaction_per_event, raw_consume_produce
from .env import BenchSpace
from .kafka_tools import ReadableCounter, envelope_records, fill_topic
from .report import Report, Row
from .workload import PARTNERS, needs_assessed_events, partners_yaml

BENCHMARK = "routing throughput"
TARGET_RATE = 4_000.0
TARGET_SHARE_OF_MINIMAL = 0.50


async def run_service(space: BenchSpace, events: int, timeout: float, profiler: Any = None) -> Measured:
    envelopes, expected = needs_assessed_events(events)
    config = space.config_dir(partners_yaml())
    settings = space.settings("routing", config_dir=config, outbox_poll_interval_s=1.0)
    app = create_app(settings, sweep_interval_s=3600)
    topics = Topics(settings.topic_prefix)
    specs = service_topics(topics, app.state.directory)
    await ensure_topics(settings.kafka_bootstrap_servers, specs)
    await fill_topic(settings.kafka_bootstrap_servers, topics.returnees.name, envelope_records(envelopes))
    partner_topics = [topics.partner(pid).name for pid in app.state.directory.ids()]
    counter = ReadableCounter(settings.kafka_bootstrap_servers, partner_topics)
    await counter.start()
    profiling: AbstractAsyncContextManager[Any] = profiler or nullcontext()
    try:
        async with app.router.lifespan_context(app), profiling:
            began, cpu_began = time.perf_counter(), time.process_time()
            issued, _ = await counter.wait_for(expected, timeout=timeout)
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    finally:
        await counter.stop()
    done = round(events * issued / expected)
    return Measured(
        "referral service (inbox + outbox + relay)", done, seconds, extra={"referrals": issued, "cpu_s": cpu}
    )


async def run_raw(space: BenchSpace, events: int) -> Measured:
    envelopes, _ = needs_assessed_events(events)
    source = TopicSpec(f"{space.prefix}raw.source.v1", partitions=6, retention_ms=3_600_000)
    target = TopicSpec(f"{space.prefix}raw.target.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(space.infra.kafka, [source, target])
    await fill_topic(space.infra.kafka, source.name, envelope_records(envelopes))
    return await raw_consume_produce(space.infra.kafka, source.name, target.name, events)


async def run_naive(space: BenchSpace, events: int) -> Measured:
    envelopes, _ = needs_assessed_events(events, seed=11)
    source = TopicSpec(f"{space.prefix}naive.source.v1", partitions=6, retention_ms=3_600_000)
    target = TopicSpec(f"{space.prefix}naive.target.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(space.infra.kafka, [source, target])
    await fill_topic(space.infra.kafka, source.name, envelope_records(envelopes))
    return await naive_transaction_per_event(
        space.infra.kafka, space.infra.database_url, space.schema("naive"), source.name, target.name, events
    )


async def run_minimal(space: BenchSpace, events: int) -> Measured:
    envelopes, _ = needs_assessed_events(events, seed=13)
    schema = space.schema("minimal")
    await migrate(space.infra.database_url, schema, MIGRATION_FOLDERS)
    source = TopicSpec(f"{space.prefix}minimal.source.v1", partitions=6, retention_ms=3_600_000)
    partners = [
        TopicSpec(f"{space.prefix}minimal.partner-{n}.v1", partitions=3, retention_ms=3_600_000)
        for n in range(PARTNERS)
    ]
    status = TopicSpec(f"{space.prefix}minimal.status.v1", partitions=3, retention_ms=3_600_000)
    await ensure_topics(space.infra.kafka, [source, *partners, status])
    await fill_topic(space.infra.kafka, source.name, envelope_records(envelopes))
    return await minimal_routing(
        space.infra.kafka,
        space.infra.database_url,
        schema,
        source.name,
        [p.name for p in partners],
        status.name,
        events,
    )


def _cpu_per_event(measured: Measured) -> float:
    return 1e6 * float(measured.extra.get("cpu_s", 0.0)) / max(measured.count, 1)


async def routing_benchmark(
    space: BenchSpace,
    report: Report,
    *,
    events: int = 20_000,
    naive_events: int = 1_500,
    timeout: float = 180.0,
    profiler: Any = None,
) -> None:
    raw = await run_raw(space, events)
    report.add(
        Row(
            BENCHMARK,
            raw.name,
            {"events/s": raw.per_second, "events": raw.count, "seconds": raw.seconds},
            baseline=True,
        )
    )
    naive = await run_naive(space, naive_events)
    report.add(
        Row(
            BENCHMARK,
            naive.name,
            {"events/s": naive.per_second, "events": naive.count, "seconds": naive.seconds},
            baseline=True,
        )
    )
    minimal = await run_minimal(space, events)
    report.add(
        Row(
            BENCHMARK,
            minimal.name,
            {
                "events/s": minimal.per_second,
                "events": minimal.count,
                "seconds": minimal.seconds,
                "referrals/s": minimal.extra["referrals"] / minimal.seconds if minimal.seconds else 0.0,
                "CPU µs/event": _cpu_per_event(minimal),
            },
            baseline=True,
        )
    )
    service = await run_service(space, events, timeout, profiler)
    share = service.per_second / minimal.per_second if minimal.per_second else 0.0
    referrals = int(service.extra.get("referrals", 0))
    report.add(
        Row(
            BENCHMARK,
            service.name,
            {
                "events/s": service.per_second,
                "events": service.count,
                "seconds": service.seconds,
                "referrals/s": referrals / service.seconds if service.seconds else 0.0,
                "% of minimal": 100 * share,
                "% of raw": 100 * service.per_second / raw.per_second if raw.per_second else 0.0,
                "x naive": service.per_second / naive.per_second if naive.per_second else None,
                # the service's process (consumer + relay; the counter's polling is negligible)
                "CPU µs/event": _cpu_per_event(service),
                "CPU %": 100 * service.extra.get("cpu_s", 0.0) / service.seconds if service.seconds else 0.0,
            },
            target=f">= {TARGET_RATE:,.0f} events/s and >= {TARGET_SHARE_OF_MINIMAL:.0%} of minimal",
            met=service.per_second >= TARGET_RATE
            and share >= TARGET_SHARE_OF_MINIMAL
            and service.count == events,
            notes="" if service.count == events else f"timed out: {service.count} of {events} events routed",
        )
    )
