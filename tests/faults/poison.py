"""Poison for every consumed topic: bytes that are not an event, envelopes whose data does not fit
their type, and events that break a rule. Each carries a marker, so the dead letters can be compared
with what was sent, byte for byte. Which consumer must refuse which is part of the poison."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from uuid import uuid4

from shared.events import new_envelope
from shared.events.grants import GrantOpened
from shared.events.intake import NeedsAssessed, ReintegrationPlanApproved
from shared.events.referral import ReferralAccepted, ReferralIssued, ReferralStatusChanged
from shared.money import Money

from .books import INSTALLMENTS, RESPONSES, RETURNEES, STATUS


def _corrupt(envelope_bytes: bytes, path: list[str], value: object) -> bytes:
    """A valid envelope with one field of its data made wrong."""
    document = json.loads(envelope_bytes)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(document).encode()


@dataclass
class Poison:
    """Poison per consumed topic, and per inbox consumer the poison it must dead-letter."""

    by_topic: dict[str, list[bytes]] = field(default_factory=dict)
    refused_by: dict[str, set[bytes]] = field(default_factory=dict)
    dead_letters: dict[str, Counter[bytes]] = field(default_factory=dict)

    def add(self, topic: str, value: bytes, *consumers: str) -> None:
        self.by_topic.setdefault(topic, []).append(value)
        for consumer in consumers:
            self.refused_by.setdefault(consumer, set()).add(value)
        # every consumer that refuses it dead-letters its own copy to the topic's DLQ
        self.dead_letters.setdefault(topic, Counter())[value] += len(consumers)


def batch(marker: str) -> Poison:
    poison = Poison()
    both = ("referral.returnees", "grants.returnees")
    case_id = uuid4()
    poison.add(RETURNEES, f"\x00\xff not an event at all {marker}".encode(), *both)
    poison.add(
        RETURNEES, json.dumps({"hello": "an object, not an envelope", "marker": marker}).encode(), *both
    )
    assessed = new_envelope(
        NeedsAssessed(
            case_id=case_id, programme_id="NL-AVRR", municipality="skopje", household=[], assessed_by=marker
        ),
        key=case_id,
        producer="intake",
    )
    # an assessment whose data does not fit: referral refuses it, grants does not read assessments
    poison.add(
        RETURNEES, _corrupt(assessed.to_bytes(), ["data", "needs"], ["a roof", marker]), "referral.returnees"
    )
    plan = ReintegrationPlanApproved(
        case_id=case_id,
        plan_id=uuid4(),
        programme_id="NL-AVRR",
        arrival_date=date.today(),
        household=[],
        adults=1,
        children=0,
        assistance=[],
        approved_by=marker,
    )
    approved = new_envelope(plan, key=case_id, producer="intake").to_bytes()
    # a plan whose data does not fit, and one for a programme nobody funds: grants refuses both
    poison.add(RETURNEES, _corrupt(approved, ["data", "adults"], -1), "grants.returnees")
    poison.add(
        RETURNEES, _corrupt(approved, ["data", "programme_id"], f"NO-SUCH-DONOR-{marker}"), "grants.returnees"
    )

    poison.add(RESPONSES, f"{{{{ broken json {marker}".encode(), "referral.responses")
    answer = ReferralAccepted(referral_id=uuid4(), case_id=case_id, partner_id=f"p-{marker}")
    # an answer about a referral nobody issued, and an event that has no business on this topic
    poison.add(
        RESPONSES, new_envelope(answer, key=case_id, producer="partner").to_bytes(), "referral.responses"
    )
    stray = ReferralIssued(
        referral_id=uuid4(),
        case_id=case_id,
        partner_id=f"p-{marker}",
        category="housing",
        priority="normal",
        respond_by="2030-01-01T00:00:00Z",
        payload={},
    )
    poison.add(
        RESPONSES, new_envelope(stray, key=case_id, producer="partner").to_bytes(), "referral.responses"
    )

    # not an event: intake and grants (which reads completed referrals) each dead-letter a copy
    poison.add(STATUS, f"status? {marker}".encode(), "intake.timeline", "grants.referral-status")
    status = ReferralStatusChanged(
        referral_id=uuid4(), case_id=case_id, partner_id=None, category="housing", status="issued"
    )
    # about a case intake never registered (grants records nothing but a completion: not poison to it)
    poison.add(STATUS, new_envelope(status, key=case_id, producer=marker).to_bytes(), "intake.timeline")
    poison.add(INSTALLMENTS, f"[1, 2, {marker}".encode(), "intake.timeline")
    opened = GrantOpened(
        grant_id=uuid4(),
        case_id=case_id,
        programme_id="NL-AVRR",
        total=Money(amount=1, currency="EUR"),
        installments=[],
    )
    poison.add(INSTALLMENTS, new_envelope(opened, key=case_id, producer=marker).to_bytes(), "intake.timeline")
    return poison


def merge(*batches: Poison) -> Poison:
    merged = Poison()
    for poison in batches:
        for topic, values in poison.by_topic.items():
            merged.by_topic.setdefault(topic, []).extend(values)
        for consumer, refused in poison.refused_by.items():
            merged.refused_by.setdefault(consumer, set()).update(refused)
        for topic, counts in poison.dead_letters.items():
            merged.dead_letters.setdefault(topic, Counter()).update(counts)
    return merged
