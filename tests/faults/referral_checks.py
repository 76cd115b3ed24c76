"""Every case has exactly its referrals: one per (case, needed category) in the referral service, in
the status routing must give it (accepted where a partner accepted), and on the partner topics
exactly that referral for every issued one — never a second, different referral, never none."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.referral.core.routing import place
from shared.events import Category, Envelope, ReferralStatus
from shared.events.intake import CaseFacts
from shared.events.referral import ReferralIssued

from .books import RETURNEES, Books, Expected


async def check_referrals(
    connection: Any, schema: str, envelopes: dict[str, list[Envelope]], expected: Expected, books: Books
) -> None:
    facts: dict[UUID, CaseFacts] = {}  # the last facts per case: per-case order is the topic's order
    for envelope in envelopes.get(RETURNEES, []):
        if envelope.type in ("NeedsAssessed", "ReturneeRegistered"):
            try:
                case = envelope.event_as(CaseFacts)
            except ValueError:
                continue  # poison: dead-lettered by referral
            if envelope.type == "NeedsAssessed" or case.needs:
                facts[case.case_id] = case
    rows = await connection.fetch(
        "SELECT referral_id, case_id, category, status, partner_id, issued_event_id"
        f' FROM "{schema}".referrals'
    )
    by_need: dict[tuple[UUID, str], list[Any]] = defaultdict(list)
    for row in rows:
        by_need[(row["case_id"], row["category"])].append(row)
    wanted = {(case_id, str(c)) for case_id, f in facts.items() for c in f.needs}
    assert set(by_need) == wanted, (
        f"referrals for {len(wanted - set(by_need))} needs missing, {len(set(by_need) - wanted)} unexpected"
    )
    issued: dict[tuple[UUID, str], set[UUID]] = defaultdict(set)
    issued_events: dict[UUID, set[UUID]] = defaultdict(set)
    for topic, published in envelopes.items():
        if topic.startswith("referrals."):
            for e in published:
                if e.type == ReferralIssued.event_type:
                    event = e.event_as(ReferralIssued)
                    issued[(event.case_id, str(event.category))].add(event.referral_id)
                    issued_events[event.referral_id].add(e.event_id)
    now = datetime.now(UTC)
    for (case_id, category), found in by_need.items():
        assert len(found) == 1, f"case {case_id} has {len(found)} referrals for {category}"
        row = found[0]
        routed = place(facts[case_id], Category(category), expected.directory, {}, now).status
        want = ReferralStatus.ACCEPTED if row["referral_id"] in expected.accepted else routed
        assert row["status"] == want, f"referral {row['referral_id']} is {row['status']}, expected {want}"
        on_topic = issued.get((case_id, category), set())
        if row["partner_id"] is None:
            assert on_topic == set(), f"case {case_id}: {category} was never placed yet was issued"
        else:
            assert on_topic == {row["referral_id"]}, (
                f"case {case_id} {category}: partner topics carry referrals {on_topic}, "
                f"the service holds {row['referral_id']}"
            )
            assert issued_events[row["referral_id"]] == {row["issued_event_id"]}
        books.referrals[row["status"]] += 1
