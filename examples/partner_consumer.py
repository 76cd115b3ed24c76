#!/usr/bin/env python3
"""An example Homeward partner: it reads the referrals sent to it and answers them.

Copy it and put your own process where `decide()` is. It needs only aiokafka (`pip install aiokafka`);
messages are plain JSON, described in Homeward's AsyncAPI document (docs/asyncapi/referral.yaml).

    python partner_consumer.py --bootstrap kafka:9092 --partner-id vardar-housing-cooperative --decide accept

For each message on your topic `referrals.<partner-id>.v1`:
  ReferralIssued    keep what it says (`Holdings`; with `--store FILE`, in that JSON file) and answer
                    on `referral.responses.v1`: ReferralAccepted, ReferralDeclined (with a reason), or,
                    with `--decide complete`, ReferralAccepted and then ReferralCompleted (with an
                    outcome): a real partner completes days later, when the help was given.
  ReferralWithdrawn stop working on that referral (consent withdrawn, need removed, case closed).
  ErasureRequested  delete everything you hold about the case: its personal data was erased in
                    Homeward (retention ended, the returnee asked), or the returnee withdrew consent
                    to share with your category. Delete it from your own systems too; no answer.
  anything else     ignored: Homeward may add event types and fields; ignore what you do not know.

Every answer is an envelope, keyed by the case id, that points back at the referral: the same
correlation_id, the referral's event_id as causation_id, your partner id as producer. The offset is
committed only after the broker has acknowledged the answers, so a crash re-reads the referral
rather than losing it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

RESPONSES_TOPIC = "referral.responses.v1"


def new_event_id() -> uuid.UUID:
    # The contract asks for UUIDv7: ids that sort by time. Python 3.14 has uuid.uuid7(); on older
    # versions a random UUIDv4 is accepted too, because Homeward only relies on the id being unique
    # (it ignores an event id it has already seen).
    make = getattr(uuid, "uuid7", uuid.uuid4)
    return make()


def envelope(
    event_type: str, data: dict[str, Any], referral: dict[str, Any], partner_id: str
) -> dict[str, Any]:
    """Wrap an answer to the `referral` envelope the way Homeward expects."""
    return {
        "event_id": str(new_event_id()),
        "type": event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "key": referral["key"],  # the case id: all of a case's events stay in order
        "correlation_id": referral["correlation_id"],
        "causation_id": referral["event_id"],
        "producer": partner_id,
        "data": data,
    }


def answers(
    decision: str,
    referral: dict[str, Any],
    partner_id: str,
    *,
    reason: str = "no place available this month",
    outcome: str = "assistance provided",
) -> list[tuple[str, dict[str, Any]]]:
    """(event type, data) of the answers to one ReferralIssued's `data`: `decision` is accept,
    decline (with `reason`), complete (accept, then complete with `outcome`) or, for a referral
    accepted earlier, finish (complete only)."""
    ids = {"referral_id": referral["referral_id"], "case_id": referral["case_id"], "partner_id": partner_id}
    if decision == "accept":
        return [("ReferralAccepted", ids)]
    if decision == "decline":
        return [("ReferralDeclined", {**ids, "reason": reason})]
    if decision == "finish":
        return [("ReferralCompleted", {**ids, "outcome": outcome})]
    return [("ReferralAccepted", ids), ("ReferralCompleted", {**ids, "outcome": outcome})]


class Holdings:
    """What this partner keeps about the cases referred to it: each referral's data, by case id.
    With a path, kept in that JSON file (so a restart still knows what it must delete)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.cases: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            self.cases = json.loads(path.read_text(encoding="utf-8"))

    def keep(self, referral: dict[str, Any]) -> None:
        self.cases.setdefault(referral["case_id"], {})[referral["referral_id"]] = referral
        self._save()

    def erase(self, case_id: str) -> int:
        """Delete everything held about `case_id`; how many referrals that was."""
        gone = len(self.cases.pop(case_id, {}))
        self._save()
        return gone

    def _save(self) -> None:
        if self.path is not None:
            self.path.write_text(json.dumps(self.cases, indent=2), encoding="utf-8")


def decide(args: argparse.Namespace, referral: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The answers to one ReferralIssued. Replace this with your own intake process."""
    return answers(args.decide, referral, args.partner_id, reason=args.reason, outcome=args.outcome)


async def answer(producer: AIOKafkaProducer, topic: str, message: dict[str, Any]) -> None:
    headers = [
        ("event_type", message["type"].encode()),
        ("event_id", message["event_id"].encode()),
        ("correlation_id", message["correlation_id"].encode()),
        ("producer", message["producer"].encode()),
    ]
    value = json.dumps(message).encode()
    await producer.send_and_wait(topic, value, key=message["key"].encode(), headers=headers)


async def run(args: argparse.Namespace) -> int:
    referrals_topic = f"{args.topic_prefix}referrals.{args.partner_id}.v1"
    responses_topic = f"{args.topic_prefix}{RESPONSES_TOPIC}"
    consumer = AIOKafkaConsumer(
        referrals_topic,
        bootstrap_servers=args.bootstrap,
        group_id=f"{args.topic_prefix}partner.{args.partner_id}.referrals",  # the ACL prefix is partner.<id>.
        enable_auto_commit=False,  # commit after answering, never before
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    print(f"{args.partner_id}: reading {referrals_topic}, answering on {responses_topic}", flush=True)
    holdings = Holdings(args.store)
    answered = 0
    try:
        async for record in consumer:
            try:
                message = json.loads(record.value)
                kind, data = message["type"], message["data"]
            except (ValueError, KeyError, TypeError):
                print(f"skipping a message that is not an event (offset {record.offset})", flush=True)
                await consumer.commit()
                continue
            if kind == "ReferralIssued":
                holdings.keep(data)
                for event_type, answer_data in decide(args, data):
                    await answer(
                        producer, responses_topic, envelope(event_type, answer_data, message, args.partner_id)
                    )
                    print(f"{event_type} referral={data['referral_id']} case={data['case_id']}", flush=True)
                answered += 1
            elif kind == "ReferralWithdrawn":
                print(f"withdrawn referral={data['referral_id']} reason={data['reason']}", flush=True)
            elif kind == "ErasureRequested":
                gone = holdings.erase(data["case_id"])
                print(f"erased case={data['case_id']} referrals={gone} reason={data['reason']}", flush=True)
                if args.stop_after_erasure:
                    await consumer.commit()
                    break
            await consumer.commit()
            if args.max_referrals and answered >= args.max_referrals:
                break
    finally:
        await consumer.stop()
        await producer.stop()
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="An example Homeward partner.")
    parser.add_argument("--bootstrap", default="127.0.0.1:19092", help="Kafka bootstrap servers")
    parser.add_argument("--partner-id", required=True, help="your id in Homeward's partner directory")
    parser.add_argument("--topic-prefix", default="", help="a prefix on every topic name (tests use one)")
    parser.add_argument("--decide", choices=["accept", "decline", "complete"], default="accept")
    parser.add_argument("--reason", default="no place available this month", help="why you decline")
    parser.add_argument("--outcome", default="assistance provided", help="what was done, on completion")
    parser.add_argument("--max-referrals", type=int, default=0, help="stop after answering N (0: never)")
    parser.add_argument("--store", type=Path, default=None, help="keep what you hold in this JSON file")
    parser.add_argument(
        "--stop-after-erasure", action="store_true", help="stop after the first erasure request (tests)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(run(parse_args())))
    except KeyboardInterrupt:
        sys.exit(130)
