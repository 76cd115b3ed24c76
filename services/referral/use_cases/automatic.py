"""What the service does on its own with referrals a caseworker did not move (issue 15):

- `reroute_escalations`: an escalated referral that is not held, whose second deadline
  (`reroute_after` past the partner's own) has passed, is withdrawn from its partner
  (`no_answer_rerouted`) and routed anew — to the next eligible partner, passing over those that
  declined or did not answer; unplaced when there is none.
- `retry_unplaced`: each unplaced referral of an open case is routed again where a partner of its
  category has a place left, longest waiting first; it is issued (reason `place_freed`) when the
  routing rules now find a partner, and stays unplaced otherwise.

Both run as periodic jobs (jobs.py) rather than inside the transaction that frees a place: places
free in many ways (a partner declines, completes, a referral is withdrawn or re-routed, a case
closes, a partner's capacity is raised in the directory at start-up), in consumers that lock one
batch's cases in id order; placing another case's referral there would lock more cases out of that
order and make consumers wait on each other. A sweep locks each case the same way the consumers do,
a chunk of cases per transaction, and finds the work with two indexed queries; a place freed waits
at most one interval (HOMEWARD_REFERRAL_SWEEP_INTERVAL_S) before it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from prometheus_client import Counter

from services.referral.core import actions as rules
from services.referral.core.events import Occasion
from services.referral.core.referral import Referral
from services.referral.core.routing import place
from services.referral.store import actions as store
from services.referral.store.casebook import CaseBook
from shared.db import Pool, transaction
from shared.events import ReferralStatus

from .context import ReferralContext
from .referral_changes import ReferralChanges

log = structlog.get_logger("referral.automatic")

PLACE_FREED = "place_freed"
CHUNK = 100  # cases per transaction

REFERRALS_REROUTED = Counter(
    "homeward_referrals_rerouted_automatically_total",
    "Escalated referrals re-routed because their partner had not answered by the second deadline",
)
REFERRALS_RETRIED = Counter(
    "homeward_referrals_unplaced_placed_total",
    "Unplaced referrals issued to a partner once a place freed",
)


async def _lock_places(book: CaseBook, case_ids: list[UUID], wanted: Callable[[Referral], bool]) -> None:
    """Lock, in one go and in key order, the place rows of every category this chunk may place in
    (rather than category by category as it goes), so a sweep does not wait on a consumer that
    holds one category's rows and waits for another's."""
    await book.loads({r.category for c in case_ids for r in book.referrals_of(c) if wanted(r)})


def _chunks(case_ids: list[UUID]) -> Iterable[list[UUID]]:
    for start in range(0, len(case_ids), CHUNK):
        yield case_ids[start : start + CHUNK]


async def reroute_escalations(pool: Pool, context: ReferralContext, now: datetime, after: timedelta) -> int:
    """Re-route every escalated referral, not held, whose second deadline passed; return how many."""
    async with pool.acquire() as connection:
        case_ids = await store.cases_with_escalations_due(connection, now - after)
    total = 0
    for chunk in _chunks(case_ids):
        async with transaction(pool) as connection:
            book = CaseBook(connection)
            await book.load_cases(chunk)
            await _lock_places(book, chunk, lambda r: rules.reroute_due(r, now, after))
            changes = ReferralChanges(book, context.topics, Occasion(now))
            count = 0
            for case_id in chunk:
                case = book.case(case_id)
                for referral in book.referrals_of(case_id):
                    # checked again under the lock: a partner may have answered, a caseworker held it
                    if case is None or not rules.reroute_due(referral, now, after):
                        continue
                    changes.move(referral, ReferralStatus.WITHDRAWN, rules.NO_ANSWER_REROUTED)
                    passed = rules.passed_over(book.referrals_of(case_id), referral.category)
                    loads = await book.loads([referral.category])
                    placement = place(case.facts, referral.category, context.directory, loads, now, passed)
                    changes.open(case_id, placement, referral.correlation_id, referral.referral_id)
                    count += 1
            await book.flush()
        REFERRALS_REROUTED.inc(count)  # once its transaction committed
        total += count
    if total:
        log.info("escalated referrals re-routed after their second deadline", count=total)
    return total


async def retry_unplaced(pool: Pool, context: ReferralContext, now: datetime) -> int:
    """Route each unplaced referral again where a place may have freed; return how many were issued."""
    async with pool.acquire() as connection:
        case_ids = await store.cases_waiting_for_places(connection)
    total = 0
    for chunk in _chunks(case_ids):
        async with transaction(pool) as connection:
            book = CaseBook(connection)
            await book.load_cases(chunk)
            await _lock_places(book, chunk, lambda r: r.status is ReferralStatus.UNPLACED)
            changes = ReferralChanges(book, context.topics, Occasion(now))
            count = 0
            for case_id in chunk:
                case = book.case(case_id)
                if case is None or case.closed:
                    continue
                for referral in book.referrals_of(case_id):
                    if referral.status is not ReferralStatus.UNPLACED:
                        continue
                    passed = rules.passed_over(book.referrals_of(case_id), referral.category)
                    loads = await book.loads([referral.category])
                    placement = place(case.facts, referral.category, context.directory, loads, now, passed)
                    if placement.status is ReferralStatus.ISSUED:
                        changes.place(referral, placement, PLACE_FREED)
                        count += 1
            await book.flush()
        REFERRALS_RETRIED.inc(count)
        total += count
    if total:
        log.info("unplaced referrals issued as places freed", count=total)
    return total
