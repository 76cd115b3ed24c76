#!/usr/bin/env python3
"""An example Homeward partner: it reads the referrals sent to it and answers them.

Copy it and put your own process where `decide()` is. It needs only aiokafka (`pip install aiokafka`);
messages are plain JSON, described in Homeward's AsyncAPI document (docs/asyncapi/referral.yaml).

    python partner_consumer.py --bootstrap kafka:9092 --partner-id vardar-housing-cooperative --decide accept

For each message on your topic `referrals.<partner-id>.v1`:
  ReferralIssued    keep what it says (`Holdings`; with `--store FILE`, in that JSON file) and answer
                    on your own topic `referral.responses.<partner-id>.v1`: ReferralAccepted,
                    ReferralDeclined (with a reason), or, with `--decide complete`, ReferralAccepted
                    and then ReferralCompleted (with an outcome): a real partner completes days
                    later, when the help was given.
  ReferralWithdrawn stop working on that referral (consent withdrawn, need removed, case closed).
  ErasureRequested  delete everything you hold about the case: its personal data was erased in
                    Homeward (retention ended, the returnee asked), or the returnee withdrew consent
                    to share with your category. Delete it from your own systems too; no answer.
  anything else     ignored: Homeward may add event types and fields; ignore what you do not know.

Every answer is an envelope, keyed by the case id, that points back at the referral: the same
correlation_id, the referral's event_id as causation_id, your partner id as producer. The offset is
committed only after the broker has acknowledged the answers, so a crash re-reads the referral
rather than losing it.

Homeward delivers at least once: after a fault on its side the same event can arrive twice, with the
same event_id. This program remembers the event ids it acted on (`SeenEvents`, the most recent
10,000: bounded memory) and skips a repeat. What it forgot, or what it read again after its own
crash, it answers again, which is harmless: an answer that repeats the referral's state (accepted
twice) changes nothing, and so does one to a referral Homeward withdrew while you were deciding (the
ReferralWithdrawn on your topic stands). Keep the ids in your own store if your process must never
act twice.

Moving from the shared topic: until now partners answered on `referral.responses.v1`, which is
deprecated (Homeward reads it for one deprecation period). This version answers on your own topic;
`--answer-on shared` keeps the old behaviour while you move. Switch once your earlier answers are
acknowledged: your login may already write both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

SHARED_RESPONSES_TOPIC = "referral.responses.v1"  # deprecated: every partner's, read for a while yet


def responses_topic(partner_id: str, *, topic_prefix: str = "", shared: bool = False) -> str:
    """Where `partner_id` answers: its own topic (only its login may write it, so an answer there
    is taken as its own), or with `shared` the deprecated shared topic."""
    return f"{topic_prefix}{SHARED_RESPONSES_TOPIC if shared else f'referral.responses.{partner_id}.v1'}"


class SeenEvents:
    """The event ids acted on most recently, at most `capacity` of them: Homeward may deliver an
    event twice with the same event_id, and a repeat is skipped. Memory stays bounded; an id
    older than the last `capacity` is forgotten (and its event answered again, harmlessly)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time `event_id` is seen (and remember it); False for a repeat."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)  # the least recently seen
        return True

    def __len__(self) -> int:
        return len(self._ids)


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


def login(args: argparse.Namespace) -> dict[str, Any]:
    """aiokafka connection options: plaintext (a local broker), or your SCRAM login (production)."""
    options: dict[str, Any] = {"bootstrap_servers": args.bootstrap}
    if args.username:
        from aiokafka.helpers import create_ssl_context

        with open(args.password_file, encoding="utf-8") as secret:
            password = secret.read().strip()
        tls = args.security_protocol == "SASL_SSL"
        options |= {
            "security_protocol": args.security_protocol,
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": args.username,
            "sasl_plain_password": password,
            **({"ssl_context": create_ssl_context(cafile=args.ca_file)} if tls else {}),
        }
    return options


async def run(args: argparse.Namespace) -> int:
    referrals_topic = f"{args.topic_prefix}referrals.{args.partner_id}.v1"
    answers_topic = responses_topic(
        args.partner_id, topic_prefix=args.topic_prefix, shared=args.answer_on == "shared"
    )
    consumer = AIOKafkaConsumer(
        referrals_topic,
        **login(args),
        group_id=f"{args.topic_prefix}partner.{args.partner_id}.referrals",  # the ACL prefix is partner.<id>.
        enable_auto_commit=False,  # commit after answering, never before
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(**login(args), acks="all", enable_idempotence=True)
    seen = SeenEvents(args.remember)
    await consumer.start()
    await producer.start()
    print(f"{args.partner_id}: reading {referrals_topic}, answering on {answers_topic}", flush=True)
    holdings = Holdings(args.store)
    answered = 0
    try:
        async for record in consumer:
            try:
                message = json.loads(record.value)
                kind, data, event_id = message["type"], message["data"], str(message["event_id"])
            except (ValueError, KeyError, TypeError):
                print(f"skipping a message that is not an event (offset {record.offset})", flush=True)
                await consumer.commit()
                continue
            if not seen.first_time(event_id):
                print(f"skipping {kind} event={event_id}: delivered before", flush=True)
                await consumer.commit()
                continue
            if kind == "ReferralIssued":
                holdings.keep(data)
                for event_type, answer_data in decide(args, data):
                    await answer(
                        producer, answers_topic, envelope(event_type, answer_data, message, args.partner_id)
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
    parser.add_argument(
        "--answer-on",
        choices=["own", "shared"],
        default="own",
        help="own: referral.responses.<partner-id>.v1 (default); shared: the deprecated "
        "referral.responses.v1",
    )
    parser.add_argument("--remember", type=int, default=10_000, help="how many recent event ids to keep")
    parser.add_argument("--username", help="your SCRAM login (partner-<id>); none: no login (a local broker)")
    parser.add_argument("--password-file", help="a file holding your login's password")
    parser.add_argument("--security-protocol", choices=["SASL_SSL", "SASL_PLAINTEXT"], default="SASL_SSL")
    parser.add_argument("--ca-file", help="the cluster CA certificate, to verify the brokers (SASL_SSL)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(run(parse_args())))
    except KeyboardInterrupt:
        sys.exit(130)
