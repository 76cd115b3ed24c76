"""The referral state a batch of consumed events works on, in the caller's transaction: loaded and
locked in a few queries, read and changed in memory by the use cases, written back in a few.

A batch of 500 events costs a handful of round trips this way instead of a dozen per event, and a
batch of one runs the very same code. Rows are locked in one order everywhere — the cases (by id),
their referrals, then partner places (by category and partner). A batch that needs places of a
category it did not lock at first locks them later, so two consumers can, rarely, wait on each
other: PostgreSQL breaks the cycle and the batch is retried as a transient fault.

Places in use are read from the place rows while they are locked (so no two consumers can both
take a partner's last place), once per category per batch, kept up to date in memory as this
batch's referrals open and close, and moved in those rows when the batch is written. Every change
of a referral's status must go through a CaseBook for those counts to stay right.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import replace
from uuid import UUID

from services.referral.core.referral import Assignment, Case, Referral
from services.referral.core.routing import Loads
from services.referral.core.status import OPEN
from shared import outbox
from shared.db import Connection
from shared.events import Envelope
from shared.events.codes import Category, ReferralStatus
from shared.events.intake import CaseFacts
from shared.outbox.store import forget_sent
from shared.topics import TopicSpec
from shared.tracing import current_trace

from . import places, referrals


class CaseBook:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._cases: dict[UUID, Case | None] = {}
        self._referrals: dict[UUID, Referral] = {}
        self._of_case: dict[UUID, list[UUID]] = {}  # referral ids per case, in creation order
        self._loads: dict[tuple[str, Category], int] = {}
        self._counted: set[Category] = set()
        # written at the next flush, in this order (foreign keys and the one-live-referral index)
        self._saved_cases: dict[UUID, CaseFacts] = {}
        self._closed_cases: list[UUID] = []
        self._reopened_cases: list[UUID] = []
        self._erased_cases: list[UUID] = []
        self._assigned: dict[UUID, Assignment] = {}
        self._updated: dict[UUID, Referral] = {}
        self._inserted: dict[UUID, Referral] = {}
        self._outbox: list[tuple[TopicSpec, Envelope]] = []
        self._traces: list[dict[str, str]] = []  # each event's trace context, taken when it was made
        self._places_moved: Counter[tuple[str, Category]] = Counter()

    # -- loading (and locking)

    async def load_cases(self, case_ids: Iterable[UUID]) -> None:
        """Lock and load these cases and all their referrals (the ones not loaded yet)."""
        wanted = sorted(set(case_ids) - self._cases.keys())
        if not wanted:
            return
        found = await referrals.lock_cases(self.connection, wanted)
        for case_id in wanted:
            self._cases[case_id] = found.get(case_id)
            self._of_case[case_id] = []
        if not found:
            return
        for referral in await referrals.lock_referrals_of(self.connection, found.keys()):
            self._referrals[referral.referral_id] = referral
            self._of_case[referral.case_id].append(referral.referral_id)

    async def load_referrals(self, referral_ids: Iterable[UUID]) -> None:
        """Lock and load the cases these referrals belong to (unknown ids are skipped)."""
        wanted = [r for r in set(referral_ids) if r not in self._referrals]
        if not wanted:
            return
        await self.load_cases(await referrals.cases_of_referrals(self.connection, wanted))

    async def loads(self, categories: Collection[Category]) -> Loads:
        """Places in use per (partner, category), with the place rows of `categories` locked."""
        missing = sorted(set(categories) - self._counted)
        if missing:
            await self.flush()  # the count below must include this batch's referrals so far
            counted = await places.lock_places(self.connection, missing)
            self._loads.update(counted)
            self._counted.update(missing)
        return self._loads

    # -- reading

    def case(self, case_id: UUID) -> Case | None:
        return self._cases.get(case_id)

    def referrals_of(self, case_id: UUID) -> list[Referral]:
        return [self._referrals[r] for r in self._of_case.get(case_id, [])]

    def referral(self, referral_id: UUID) -> Referral | None:
        return self._referrals.get(referral_id)

    def declined_partners(self, case_id: UUID) -> dict[Category, set[str]]:
        out: dict[Category, set[str]] = {}
        for referral in self.referrals_of(case_id):
            if referral.status is ReferralStatus.DECLINED and referral.partner_id:
                out.setdefault(referral.category, set()).add(referral.partner_id)
        return out

    # -- changing

    def save_case(self, facts: CaseFacts) -> None:
        known = self._cases.get(facts.case_id)
        self._cases[facts.case_id] = Case(facts, closed=known.closed if known else False)
        self._of_case.setdefault(facts.case_id, [])
        self._saved_cases[facts.case_id] = facts

    def assign_case(self, assignment: Assignment) -> None:
        """Record who works on a known case (read-scopes only: routing does not look at it)."""
        self._assigned[assignment.case_id] = assignment

    def close_case(self, case_id: UUID) -> None:
        known = self._cases.get(case_id)
        if known is not None:
            self._cases[case_id] = replace(known, closed=True)
        self._closed_cases.append(case_id)
        # the last of a batch's closures and reopenings of a case is what it is
        self._reopened_cases = [c for c in self._reopened_cases if c != case_id]

    def reopen_case(self, case_id: UUID) -> None:
        """A case intake reopened: its facts events count again (its referrals stay as they are)."""
        known = self._cases.get(case_id)
        if known is not None:
            self._cases[case_id] = replace(known, closed=False)
        self._reopened_cases.append(case_id)
        self._closed_cases = [c for c in self._closed_cases if c != case_id]

    def erase_case(self, case_id: UUID) -> None:
        """Drop the case's copied facts, what its partners were sent and their free text
        (`referrals.erase_cases`), and its sent outbox rows, at the next flush."""
        known = self._cases.get(case_id)
        if known is not None:
            minimal = CaseFacts(
                case_id=case_id,
                programme_id=known.facts.programme_id,
                municipality=known.facts.municipality,
                household=[],
            )
            self._cases[case_id] = Case(minimal, closed=True, erased=True)
        self._saved_cases.pop(case_id, None)
        self._erased_cases.append(case_id)

    def insert_referral(self, referral: Referral) -> None:
        self._referrals[referral.referral_id] = referral
        self._of_case.setdefault(referral.case_id, []).append(referral.referral_id)
        self._inserted[referral.referral_id] = referral
        self._count(None, referral)

    def update_referral(self, referral: Referral) -> None:
        previous = self._referrals.get(referral.referral_id)
        if previous is None:
            raise LookupError(f"referral {referral.referral_id} was not loaded or tracked by this CaseBook")
        self._referrals[referral.referral_id] = referral
        if referral.referral_id in self._inserted:  # not written yet: written once, as it ends up
            self._inserted[referral.referral_id] = referral
        else:
            self._updated[referral.referral_id] = referral
        self._count(previous, referral)

    def append(self, topic: TopicSpec, envelope: Envelope) -> None:
        self._outbox.append((topic, envelope))
        self._traces.append(current_trace())

    def track(self, loaded: Iterable[Referral]) -> None:
        """Referrals loaded by the caller (e.g. the sweep's overdue ones) that it will change."""
        for referral in loaded:
            self._referrals.setdefault(referral.referral_id, referral)

    def _count(self, before: Referral | None, after: Referral) -> None:
        """Keep the places in use right as a referral takes or frees one."""
        for referral, step in ((before, -1), (after, 1)):
            if referral is not None and referral.partner_id and referral.status in OPEN:
                key = (referral.partner_id, referral.category)
                self._places_moved[key] += step
                if referral.category in self._counted:
                    self._loads[key] = self._loads.get(key, 0) + step

    # -- writing

    async def flush(self) -> None:
        """Write what changed since the last flush. Updates go before inserts: an update never
        makes a referral live, an insert may, and the index allows one live referral per case and
        category. The outbox keeps the order the events were made in (per-key order on Kafka)."""
        connection = self.connection
        if self._saved_cases:
            await referrals.save_cases(connection, list(self._saved_cases.values()))
        if self._closed_cases:
            await referrals.close_cases(connection, self._closed_cases)
        if self._reopened_cases:
            await referrals.reopen_cases(connection, self._reopened_cases)
        if self._assigned:
            await referrals.assign_cases(connection, list(self._assigned.values()))
        if self._updated:
            await referrals.update_referrals(connection, list(self._updated.values()))
        if self._inserted:
            await referrals.insert_referrals(connection, list(self._inserted.values()))
        if self._places_moved:
            await places.move_places(connection, self._places_moved)
        if self._erased_cases:  # after the referral rows: their payloads are emptied here
            await referrals.erase_cases(connection, self._erased_cases)
            await forget_sent(connection, [str(case_id) for case_id in self._erased_cases])
        if self._outbox:
            await outbox.append_many(connection, self._outbox, self._traces)
        self._saved_cases, self._closed_cases, self._erased_cases, self._assigned = {}, [], [], {}
        self._reopened_cases = []
        self._updated, self._inserted, self._outbox, self._traces = {}, {}, [], []
        self._places_moved = Counter()
