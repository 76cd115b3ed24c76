"""What a fault test expects (what it sent, which poison, which answers) and what the accounting
saw (the numbers each test reports), with the topic and consumer names both are about."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

from services.referral.core.directory import Directory

RETURNEES, RESPONSES = "intake.returnees.v1", "referral.responses.v1"
STATUS, INSTALLMENTS = "referral.status.v1", "grants.installments.v1"
CHECKPOINTS = "grants.ledger-checkpoints.v1"
# (service, consumed topic) → (inbox consumer name, consumer group without the prefix)
CONSUMERS = {
    ("referral", RETURNEES): ("referral.returnees", "referral.returnees"),
    ("referral", RESPONSES): ("referral.responses", "referral.responses"),
    ("grants", RETURNEES): ("grants.returnees", "grants.returnees"),
    ("grants", STATUS): ("grants.referral-status", "grants.referral-status"),
    ("intake", STATUS): ("intake.timeline", "intake.timeline.referral-status"),
    ("intake", INSTALLMENTS): ("intake.timeline", "intake.timeline.grants"),
}


def publishes(service: str, topic: str) -> bool:
    """Topic names here are without the corner's prefix."""
    return {
        "referral": topic == STATUS or (topic.startswith("referrals.") and not topic.endswith(".dlq")),
        "grants": topic in (INSTALLMENTS, CHECKPOINTS),
        "intake": topic == RETURNEES,
    }[service]


@dataclass
class Expected:
    directory: Directory
    sent: dict[str, set[UUID]] = field(default_factory=dict)  # topic → event ids the test produced
    accepted: set[UUID] = field(default_factory=set)  # referral ids a partner accepted
    dead_letters: dict[str, Counter[bytes]] = field(default_factory=dict)  # consumed topic → poison
    refused_by: dict[str, set[bytes]] = field(default_factory=dict)  # inbox consumer → its poison


@dataclass
class Books:
    """What the accounting saw: the numbers a fault test reports."""

    events: dict[str, int] = field(default_factory=dict)  # distinct event ids per topic
    copies: dict[str, int] = field(default_factory=dict)  # extra records of an event id, per topic
    dead_letters: dict[str, int] = field(default_factory=dict)
    inbox: dict[str, int] = field(default_factory=dict)
    referrals: Counter[str] = field(default_factory=Counter)
    grants: int = 0
    disbursed: int = 0
    ledger_entries: int = 0

    def line(self) -> str:
        def grouped(counts: dict[str, int]) -> dict[str, int]:
            out: Counter[str] = Counter()
            for topic, n in counts.items():
                out["referrals.*" if topic.startswith("referrals.") else topic.removesuffix(".v1")] += n
            return {t: n for t, n in out.items() if n}

        referrals = ", ".join(f"{s} {n}" for s, n in sorted(self.referrals.items()))
        parts = [
            f"events {grouped(self.events)}",
            f"same-id copies {sum(self.copies.values())} {grouped(self.copies) or ''}".rstrip(),
            f"dlq {grouped(self.dead_letters) or 0}",
            f"inbox {self.inbox}",
            f"referrals [{referrals}]",
        ]
        if self.grants:
            parts.append(
                f"grants {self.grants}, installments disbursed {self.disbursed} (each once), "
                f"ledger {self.ledger_entries} entries balanced, chain OK"
            )
        return "; ".join(parts)


def short(prefix: str, topic: str) -> str:
    return topic.removeprefix(prefix)
