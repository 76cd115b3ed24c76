#!/usr/bin/env python3
"""Many simulated Homeward partners in one process, for demos: each reads its own topic the way
partner_consumer.py does (its own consumer group, offsets committed only after its answers are
acknowledged; an event delivered twice acted on once) and answers on its own topic with
partner_consumer's envelopes, but decides as a busy organisation might: it takes a while to answer,
accepts most referrals, declines some, leaves a few unanswered (they escalate when their deadline
passes), and completes part of what it accepted later on.

    python simulated_partners.py --bootstrap 127.0.0.1:19092 --partner-id vardar-housing-cooperative \
        --partner-id learning-bridge-skopje --accept 0.75 --decline 0.15

Needs only aiokafka, like partner_consumer.py, which must sit next to this file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from partner_consumer import SeenEvents, answer, answers, envelope, responses_topic

DECLINE_REASONS = (
    "no place available this month",
    "the household is larger than our flats",
    "outside the area our team can reach",
    "waiting list closed until next quarter",
)
OUTCOMES = {
    "housing": "rented flat found; first three months' rent paid",
    "education": "enrolled in the local school with catch-up classes",
    "employment": "placed in a job after a short training course",
    "medical": "registered with a family doctor; treatment started",
    "counselling": "eight counselling sessions held",
    "vocational_training": "completed a three-month course with a certificate",
    "micro_business": "business plan verified; the business is registered and trading",
}


@dataclass(frozen=True)
class Behaviour:
    """Shares of ReferralIssued a partner accepts and declines (the rest it leaves unanswered), the
    share of accepted ones it completes, and how long (seconds) it thinks and works."""

    accept: float = 0.75
    decline: float = 0.15
    complete: float = 0.6
    think_s: tuple[float, float] = (0.1, 1.5)
    work_s: tuple[float, float] = (0.5, 4.0)


@dataclass
class Handled:
    """What a simulated partner did with one referral."""

    referral_id: str
    case_id: str
    partner_id: str
    category: str
    decision: str  # accept | decline | hold (no answer) | withdrawn (before an answer)
    issued_at: float  # time.monotonic() when the referral was read
    answered_at: float | None = None
    completed: bool = False


@dataclass
class SimulatedPartners:
    bootstrap: str
    partner_ids: list[str]
    topic_prefix: str = ""
    behaviour: Behaviour = field(default_factory=Behaviour)
    seed: int = 0
    say: Callable[[str], None] = lambda line: None
    handled: dict[str, Handled] = field(default_factory=dict)
    _withdrawn: set[str] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _completions: set[asyncio.Task[None]] = field(default_factory=set)
    _producer: AIOKafkaProducer | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def responses_topic(self, partner_id: str) -> str:
        return responses_topic(partner_id, topic_prefix=self.topic_prefix)

    def busy(self) -> int:
        """Answers and completions still to send."""
        return sum(not t.done() for t in self._completions) + sum(
            1 for h in self.handled.values() if h.answered_at is None and h.decision in ("accept", "decline")
        )

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        await self._producer.start()
        for partner_id in self.partner_ids:
            consumer = AIOKafkaConsumer(
                f"{self.topic_prefix}referrals.{partner_id}.v1",
                bootstrap_servers=self.bootstrap,
                group_id=f"{self.topic_prefix}partner.{partner_id}.referrals",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            await consumer.start()
            task = asyncio.create_task(self._read(partner_id, consumer), name=f"partner-{partner_id}")
            self._tasks.add(task)

    async def stop(self, finish_work_s: float = 10.0) -> None:
        """Stop reading; give completions in progress `finish_work_s` to be sent."""
        self._stopping.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._completions:
            await asyncio.wait(self._completions, timeout=finish_work_s)
        for task in self._completions:
            task.cancel()
        await asyncio.gather(*self._completions, return_exceptions=True)
        if self._producer is not None:
            await self._producer.stop()

    async def _read(self, partner_id: str, consumer: AIOKafkaConsumer) -> None:
        seen = SeenEvents()  # at least once: an event delivered twice is acted on once
        try:
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=300, max_records=100)
                answering = []
                for record in (r for records in batch.values() for r in records):
                    try:
                        message = json.loads(record.value)
                        kind, data, event_id = message["type"], message["data"], str(message["event_id"])
                    except (ValueError, KeyError, TypeError):
                        continue  # not an event: skipped, as partner_consumer.py does
                    if not seen.first_time(event_id):
                        continue
                    if kind == "ReferralIssued":
                        answering.append(self._answer(partner_id, message))
                    elif kind == "ReferralWithdrawn":
                        self._withdrawn.add(data["referral_id"])
                # answer the batch, then commit: a crash re-reads referrals rather than losing them
                await asyncio.gather(*answering)
                if batch:
                    await consumer.commit()
        finally:
            await consumer.stop()

    async def _answer(self, partner_id: str, message: dict[str, Any]) -> None:
        data = message["data"]
        rng = random.Random(f"{self.seed}:{data['referral_id']}")  # noqa: S311 - a simulation
        draw = rng.random()
        b = self.behaviour
        decision = "accept" if draw < b.accept else "decline" if draw < b.accept + b.decline else "hold"
        handled = Handled(
            data["referral_id"], data["case_id"], partner_id, data["category"], decision, time.monotonic()
        )
        self.handled[handled.referral_id] = handled
        if decision == "hold":
            return
        await asyncio.sleep(rng.uniform(*b.think_s))
        if handled.referral_id in self._withdrawn:
            handled.decision = "withdrawn"
            return
        reason = rng.choice(DECLINE_REASONS)
        for event_type, answer_data in answers(decision, data, partner_id, reason=reason):
            await self._send(envelope(event_type, answer_data, message, partner_id))
        handled.answered_at = time.monotonic()
        self.say(f"{partner_id}: {decision} referral={handled.referral_id}")
        if decision == "accept" and rng.random() < b.complete:
            work = asyncio.create_task(self._complete(handled, message, rng.uniform(*b.work_s)))
            self._completions.add(work)

    async def _complete(self, handled: Handled, message: dict[str, Any], after_s: float) -> None:
        await asyncio.sleep(after_s)
        if handled.referral_id in self._withdrawn:
            return
        outcome = OUTCOMES.get(handled.category, "assistance provided")
        for event_type, data in answers("finish", message["data"], handled.partner_id, outcome=outcome):
            await self._send(envelope(event_type, data, message, handled.partner_id))
        handled.completed = True
        self.say(f"{handled.partner_id}: completed referral={handled.referral_id}")

    async def _send(self, message: dict[str, Any]) -> None:
        if self._producer is None:
            raise RuntimeError("start() the simulated partners first")
        # every answer on the answering partner's own topic
        await answer(self._producer, self.responses_topic(message["producer"]), message)


async def main(args: argparse.Namespace) -> int:
    behaviour = Behaviour(accept=args.accept, decline=args.decline, complete=args.complete)
    partners = SimulatedPartners(
        args.bootstrap, args.partner_id, args.topic_prefix, behaviour, args.seed, say=print
    )
    await partners.start()
    print(f"{len(args.partner_id)} simulated partners answering on their own topics; Ctrl-C stops")
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await partners.stop()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Simulated Homeward partners.")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--partner-id", action="append", required=True, help="repeat for each partner")
    parser.add_argument("--topic-prefix", default="")
    parser.add_argument("--accept", type=float, default=0.75)
    parser.add_argument("--decline", type=float, default=0.15)
    parser.add_argument("--complete", type=float, default=0.6, help="share of accepted ones completed")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        sys.exit(130)
