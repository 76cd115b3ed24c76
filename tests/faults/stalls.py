"""How long consumption and publishing stalled, measured after the fact from what the services
recorded — no polling during the faults, so the measurement can neither miss a stall nor cause one.

An event is *ready* from its record's timestamp on the topic; it is *applied* at its inbox row's
`processed_at` (a batch's events share one). Published: an outbox row is ready at `created_at` and
done at `sent_at`.

- A consumer group *stalls* while it applies nothing although an event of its topic is ready and not
  applied yet: the longest such window is the group's stall. A slow group is not a stalled one (it
  keeps applying); an idle one neither (nothing is ready).
- A partition *waits* while none of its events is applied although one of them is ready: after a
  broker is lost, the partitions it led wait for a new leader while the group goes on with the
  others. A partition also waits while its consumer works through other partitions' backlog, so a
  wait is at least as long as the stall behind it.
- A service's relays (single-active: the schema is the unit) stall the same way over outbox rows.

And from the services' logs: how long the partitions a killed replica held had no consumer
(`takeovers`): what static membership and the session timeout decide.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from shared.events import parse_envelope

from .books import CONSUMERS, short
from .processes import Corner

# shorter than this is a batch's or a poll's ordinary latency, not a stall
NOTICEABLE_S = 0.5
# a stall beginning this soon after a fault is counted as the fault's
CAUSED_WITHIN_S = 3.0

# (ready, done) in epoch seconds
Timed = tuple[float, float]
# how aiokafka's rebalance listener (through faststream) names an assignment's partitions
_ASSIGNED = re.compile(r"TopicPartition\(topic='([^']+)', partition=(\d+)\)")


@dataclass(frozen=True)
class Stall:
    where: str  # "<consumer> <topic>", "<consumer> <topic>[<partition>]" or "<service> relay"
    began: float  # epoch seconds
    seconds: float

    @property
    def ended(self) -> float:
        return self.began + self.seconds

    def line(self, origin: float) -> str:
        return f"{self.seconds:.1f}s from t+{self.began - origin:.1f}s ({self.where})"


@dataclass
class Stalls:
    groups: list[Stall]  # consumer groups that applied nothing while an event was ready
    partitions: list[Stall]  # partitions none of whose ready events was applied
    relays: list[Stall]  # relays that published nothing while a row was waiting

    def longest(self, kind: str) -> Stall | None:
        found: list[Stall] = getattr(self, kind)
        return max(found, key=lambda s: s.seconds) if found else None

    def around(self, kind: str, moment: float) -> Stall | None:
        """The longest stall of `kind` that a fault at `moment` may have caused: going on then, or
        beginning within a few seconds after (the broker's failover takes that to show)."""
        found: list[Stall] = getattr(self, kind)
        during = [s for s in found if s.began <= moment + CAUSED_WITHIN_S and s.ended >= moment]
        return max(during, key=lambda s: s.seconds) if during else None


def idle_windows(where: str, events: list[Timed]) -> list[Stall]:
    """Every noticeable window in which nothing was done although something was ready: between two
    consecutive completions, from the later of the first completion and the earliest moment an
    event not yet done was ready."""
    ordered = sorted(events, key=lambda e: e[1])
    earliest_ready_after = [0.0] * len(ordered)  # earliest ready among ordered[i:]
    running = float("inf")
    for i in range(len(ordered) - 1, -1, -1):
        running = min(running, ordered[i][0])
        earliest_ready_after[i] = running
    windows, previous = [], None
    for i, (_, done) in enumerate(ordered):
        ready = earliest_ready_after[i]
        start = ready if previous is None else max(ready, previous)
        if done - start >= NOTICEABLE_S:
            windows.append(Stall(where, start, done - start))
        previous = done
    return windows


async def measure(corner: Corner, running: list[str], records: dict[str, list[Any]]) -> Stalls:
    """`records`: every record of the corner's topics, by topic name without the prefix."""
    placed = _placed(records)
    stalls = Stalls([], [], [])
    connection = await asyncpg.connect(corner.database_url)
    try:
        for (service, topic), (consumer, _) in CONSUMERS.items():
            if service not in running:
                continue
            rows = await connection.fetch(
                f'SELECT event_id, processed_at FROM "{corner.schema(service)}".inbox'
                " WHERE consumer = $1 AND topic = $2",
                consumer,
                corner.prefix + topic,
            )
            by_partition: dict[int, list[Timed]] = defaultdict(list)
            for row in rows:
                partition, ready = placed[(topic, row["event_id"])]
                by_partition[partition].append((ready, row["processed_at"].timestamp()))
            stalls.groups += idle_windows(
                f"{consumer} {topic}", [e for p in by_partition.values() for e in p]
            )
            for partition, events in by_partition.items():
                stalls.partitions += idle_windows(f"{consumer} {topic}[{partition}]", events)
        for service in running:
            rows = await connection.fetch(
                f'SELECT created_at, sent_at FROM "{corner.schema(service)}".outbox WHERE sent_at IS NOT NULL'
            )
            stalls.relays += idle_windows(
                f"{service} relay", [(_epoch(r["created_at"]), _epoch(r["sent_at"])) for r in rows]
            )
    finally:
        await connection.close()
    return stalls


def _placed(records: dict[str, list[Any]]) -> dict[tuple[str, UUID], tuple[int, float]]:
    """(topic, event id) → (partition, ready): where each event is and since when."""
    placed: dict[tuple[str, UUID], tuple[int, float]] = {}
    for topic, found in records.items():
        for record in found:
            try:
                event_id = parse_envelope(record.value or b"").event_id
            except ValueError:
                continue  # poison: never applied
            # a copy (the relay published it twice) was ready with the first
            placed.setdefault((topic, event_id), (record.partition, record.timestamp / 1000))
    return placed


def by_short_name(prefix: str, records: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {short(prefix, topic): found for topic, found in records.items()}


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class Takeover:
    """How long the partitions a killed replica held went without a consumer: until each was
    assigned again, to a survivor or to the replica itself, started again."""

    topic: str
    partitions: frozenset[int]
    seconds: float  # the last of them

    def line(self) -> str:
        return f"{self.topic} {sorted(self.partitions)} after {self.seconds:.1f}s"


def assignments(log: Path) -> list[tuple[float, str, frozenset[int]]]:
    """Every partition assignment a process logged: (epoch, topic, partitions)."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if "assigned to partitions" not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        pairs = _ASSIGNED.findall(entry["event"])
        for topic in {t for t, _ in pairs}:
            moment = datetime.fromisoformat(entry["timestamp"]).timestamp()
            found.append((moment, topic, frozenset(int(p) for t, p in pairs if t == topic)))
    return found


def takeovers(killed: Path, replicas: list[Path], moment: float, prefix: str) -> list[Takeover]:
    """Per topic the killed replica consumed (its log `killed`; `replicas`: every replica's log,
    the killed one's included), how long until its partitions were all assigned again."""
    held: dict[str, frozenset[int]] = {}
    for when, topic, partitions in assignments(killed):
        if when < moment:
            held[topic] = partitions
    later = sorted(a for log in replicas for a in assignments(log) if a[0] >= moment)
    found = []
    for topic, partitions in held.items():
        waiting, last = set(partitions), moment
        for when, assigned_topic, assigned in later:
            if assigned_topic == topic and waiting & assigned:
                waiting -= assigned
                last = when
            if not waiting:
                break
        seconds = float("inf") if waiting else last - moment
        found.append(Takeover(topic.removeprefix(prefix), partitions, seconds))
    return found
